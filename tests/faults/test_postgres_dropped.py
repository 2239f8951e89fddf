"""PostgreSQL drops casebook's connection (a restart, a failover, an idle-connection reaper):
the request after it succeeds (docs/architecture.md, "When a service goes away"), with kept
connections and with the pool (`DATABASE_POOL`, casebook/common/databases.py), which also
serves requests without opening a connection for each.

The requests go through the WSGI handler itself, with its request signals: Django's test
client switches off the connection handling at the start and end of a request, which is
what this is about."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator

import psycopg
import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import RequestFactory

from tests.live.sockets import session_cookie
from tests.markers import needs_postgres

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def kept_connections() -> Iterator[None]:
    """Connections kept between requests, as a deployment with DATABASE_CONN_MAX_AGE has."""
    before = connection.settings_dict["CONN_MAX_AGE"]
    connection.close()
    connection.settings_dict["CONN_MAX_AGE"] = 600
    try:
        yield
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = before
        connection.close()


@pytest.fixture
def pooled_connections() -> Iterator[None]:
    """A pool of connections lent to requests, as a deployment with DATABASE_POOL has."""
    connection.close()
    connection.settings_dict["OPTIONS"]["pool"] = {"min_size": 1, "max_size": 2, "timeout": 5}
    try:
        yield
    finally:
        connection.close()
        connection.close_pool()
        del connection.settings_dict["OPTIONS"]["pool"]


def _get(path: str, cookie: str) -> int:
    environ = RequestFactory()._base_environ(
        PATH_INFO=path,
        REQUEST_METHOD="GET",
        HTTP_COOKIE=f"{settings.SESSION_COOKIE_NAME}={cookie}",
        **{"wsgi.input": io.BytesIO(b"")},
    )
    answered: list[int] = []

    def start_response(status: str, headers: list, exc_info=None) -> None:
        answered.append(int(status.split()[0]))

    response = WSGIHandler()(environ, start_response)
    b"".join(response)
    response.close()  # request_finished: the connection is kept, as in production
    return answered[0]


def _drop(pid: int) -> None:
    """Terminate the backend behind casebook's connection, from a connection of our own."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]
        deadline = time.monotonic() + 10
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
            assert time.monotonic() < deadline, "the backend did not end"
            time.sleep(0.05)


@pytest.mark.usefixtures("kept_connections")
def test_the_request_after_the_database_dropped_the_connection_succeeds(cast):
    cookie = session_cookie(cast.counselor)
    assert _get("/desks/yorozu/board/", cookie) == 200
    assert connection.connection is not None  # kept for the next request
    _drop(connection.connection.info.backend_pid)
    assert _get("/desks/yorozu/board/", cookie) == 200
    assert _get("/", cookie) == 200


@pytest.mark.usefixtures("pooled_connections")
def test_with_the_pool_on_requests_are_served_on_connections_the_pool_keeps_open(cast):
    cookie = session_cookie(cast.counselor)
    for path in ("/api/v1/topics/", "/api/v1/cases/", "/desks/yorozu/board/"):
        assert _get(path, cookie) == 200
        # Given back at the end of the request, not closed.
        assert connection.connection is None
    stats = connection.pool.get_stats()
    assert stats["requests_num"] >= 3
    assert stats["connections_num"] <= 2  # opened by the pool, not one per request


@pytest.mark.usefixtures("pooled_connections")
def test_with_the_pool_on_a_pooled_connection_the_database_dropped_is_replaced(cast):
    cookie = session_cookie(cast.counselor)
    assert _get("/api/v1/topics/", cookie) == 200
    connection.ensure_connection()  # borrow the pool's one idle connection to learn its pid
    pid = connection.connection.info.backend_pid
    connection.close()
    _drop(pid)
    assert _get("/api/v1/topics/", cookie) == 200
    assert _get("/desks/yorozu/board/", cookie) == 200
