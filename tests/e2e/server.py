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


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen
    log: Path
    database: Database

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
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
        out = log.open("a")
        process = subprocess.Popen(
            [*DAPHNE, "-p", str(port), "tests.e2e.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    except Exception:
        database.destroy()
        raise
    server = LiveServer(url=f"http://127.0.0.1:{port}", process=process, log=log, database=database)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            server.stop()
            raise RuntimeError(f"daphne stopped:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"{server.url}/accounts/login/", timeout=2) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"daphne did not answer within 60 s:\n{server.log_tail()}")
