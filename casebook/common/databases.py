"""The database casebook runs on (`DATABASES["default"]`), read from the environment.

`DATABASE_URL` names it (an SQLite file by default, so a laptop needs no database server).
How requests get their PostgreSQL connection is one of three:

- `DATABASE_CONN_MAX_AGE=0` (the default): each request opens its own connection and closes it
  at its end: a TCP (or socket) handshake and a server process started per request.
- `DATABASE_CONN_MAX_AGE=<seconds>`: each worker thread keeps its connection. Django's docs
  advise against it under ASGI (daphne runs each request's synchronous code in a thread of its
  own, and a kept connection belongs to the thread that opened it).
- `DATABASE_POOL=1`: the process keeps a pool of open connections (psycopg's, through Django's
  `OPTIONS["pool"]`); a request borrows one and gives it back at its end. This is what
  Django's docs advise under ASGI (docs/performance.md, "The fixed cost of an API request").
  `DATABASE_POOL_MIN_SIZE` connections are kept open, at most `DATABASE_POOL_MAX_SIZE` are
  opened, and a request waits at most `DATABASE_POOL_TIMEOUT` seconds for a free one before
  it fails. It excludes `DATABASE_CONN_MAX_AGE` (Django refuses both) and needs PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from casebook.env import env_bool, env_int, env_str

SQLITE = "django.db.backends.sqlite3"
POSTGRESQL = "django.db.backends.postgresql"


def database_settings(base_dir: Path) -> dict[str, Any]:
    """`DATABASES["default"]` as the environment describes it (see the module's docstring)."""
    settings = dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{base_dir / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        # A kept connection the server dropped (a restart, a failover) is noticed and
        # replaced at the start of the next request, instead of failing it; a pooled one is
        # checked when it is lent.
        conn_health_checks=True,
    )
    options = settings.setdefault("OPTIONS", {})
    if settings["ENGINE"] == SQLITE:
        # Concurrent requests (daphne threads, the WebSocket consumers) must wait, not fail.
        options.update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    if env_bool("DATABASE_POOL", default=False):
        options["pool"] = _pool_options(settings)
    return settings


def _pool_options(settings: dict[str, Any]) -> dict[str, Any]:
    if settings["ENGINE"] != POSTGRESQL:
        raise ImproperlyConfigured("DATABASE_POOL needs PostgreSQL (a postgres:// DATABASE_URL)")
    if settings["CONN_MAX_AGE"] != 0:
        raise ImproperlyConfigured(
            "DATABASE_POOL and DATABASE_CONN_MAX_AGE exclude each other: leave "
            "DATABASE_CONN_MAX_AGE unset (or 0) when the pool is on"
        )
    min_size = env_int("DATABASE_POOL_MIN_SIZE", 2, minimum=0)
    max_size = env_int("DATABASE_POOL_MAX_SIZE", 10, minimum=1)
    if max_size < min_size:
        raise ImproperlyConfigured(
            f"DATABASE_POOL_MAX_SIZE ({max_size}) must be at least "
            f"DATABASE_POOL_MIN_SIZE ({min_size})"
        )
    return {
        "min_size": min_size,
        "max_size": max_size,
        "timeout": env_int("DATABASE_POOL_TIMEOUT", 10, minimum=1),
    }
