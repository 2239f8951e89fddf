"""A Redis server of the test's own, which the test may stop: the shared one is never touched."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

FIRST_PORT = 6390


def _free_port() -> int:
    for port in range(FIRST_PORT, FIRST_PORT + 200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port from {FIRST_PORT} on for a private Redis")


@dataclass
class PrivateRedis:
    url: str
    process: subprocess.Popen

    def stop(self) -> None:
        """Kill the server (as a crash would: no goodbye to the clients) and wait for it."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = shutil.which("redis-server")
    if server is None:
        # A running Redis (a CI service, the shared one) is not enough: the test starts and
        # kills a server of its own, so it needs the program itself.
        pytest.skip(
            "needs the redis-server program on the PATH (e.g. the redis-server package): the "
            "test starts and kills a Redis server of its own; a running Redis is not enough"
        )
    port = _free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    redis = PrivateRedis(url=f"redis://127.0.0.1:{port}/1", process=process)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                    probe.sendall(b"PING\r\n")
                    if probe.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the private Redis on port {port} did not start")
            time.sleep(0.1)
        yield redis
    finally:
        redis.stop()
