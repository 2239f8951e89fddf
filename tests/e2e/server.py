"""A real ASGI server (daphne) for the browser tests, on a database of its own.

pytest-django's live_server speaks WSGI only, without WebSockets, so the browser tests
start daphne in a subprocess: a fresh SQLite file by default, or a fresh PostgreSQL
database beside the one DATABASE_URL names; Redis when REDIS_URL is set.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
DAPHNE = [sys.executable, "-m", "daphne", "-b", "127.0.0.1"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Database:
    """A database created for one run and dropped after it."""

    url: str
    drop: list[str] = field(default_factory=list)  # SQL run on the admin connection at the end
    admin_url: str = ""

    def destroy(self) -> None:
        if not self.drop:
            return
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            for statement in self.drop:
                connection.execute(statement)


def make_database(workdir: Path) -> Database:
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith(("postgres://", "postgresql://")):
        return Database(url=f"sqlite:///{workdir / 'e2e.sqlite3'}")
    import psycopg

    parts = urlsplit(configured)
    base = parts.path.lstrip("/") or "postgres"
    name = f"{base}_e2e_{uuid.uuid4().hex[:8]}"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return Database(
        url=urlunsplit(parts._replace(path=f"/{name}")),
        drop=[f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
        admin_url=admin_url,
    )


def server_environment(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "casebook.settings",
            "DEBUG": "0",
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def run_step(args: list[str], env: dict[str, str], log: Path) -> None:
    with log.open("a") as out:
        out.write(f"$ {' '.join(args)}\n")
        out.flush()
        done = subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{log.read_text()[-4000:]}")


def spawn_daphne(port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("a") as out:
        return subprocess.Popen(
            [*DAPHNE, "-p", str(port), "tests.e2e.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


@dataclass
class LiveServer:
    url: str
    port: int
    process: subprocess.Popen
    log: Path
    database: Database
    env: dict[str, str]

    def halt(self) -> None:
        """Stop the server process (every open socket drops); `resume` brings it back."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def resume(self) -> None:
        """Start the server again on the same port and wait until it answers."""
        self.process = spawn_daphne(self.port, self.env, self.log)
        self.wait_until_up()

    def run(self, *args: str) -> None:
        """Run `python -m tests.e2e.stage ARGS` against the server's database."""
        run_step(["-m", "tests.e2e.stage", *args], self.env, self.log)

    def wait_until_up(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne stopped:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/accounts/login/", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        raise RuntimeError(f"daphne did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        self.halt()
        self.database.destroy()

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def start_server(workdir: Path) -> LiveServer:
    """Migrate a fresh database, stage the people, start daphne and wait until it answers."""
    log = workdir / "server.log"
    database = make_database(workdir)
    env = server_environment(database.url)
    try:
        run_step(["manage.py", "migrate", "--no-input", "-v", "0"], env, log)
        run_step(["-m", "tests.e2e.stage"], env, log)
        port = free_port()
        process = spawn_daphne(port, env, log)
    except Exception:
        database.destroy()
        raise
    server = LiveServer(
        url=f"http://127.0.0.1:{port}",
        port=port,
        process=process,
        log=log,
        database=database,
        env=env,
    )
    try:
        server.wait_until_up()
    except Exception:
        server.stop()
        raise
    return server
