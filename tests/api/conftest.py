"""API test helpers: a client acting as any member of the cast."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from rest_framework.test import APIClient

from casebook.accounts.models import User


@pytest.fixture(autouse=True)
def _fresh_throttle_counters() -> None:
    cache.clear()


@pytest.fixture
def api_as() -> Callable[[User | None], APIClient]:
    """`api_as(user)`: an API client authenticated as `user` (None: anonymous)."""

    def make(user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user=user)
        return client

    return make


@pytest.fixture
def keep_the_test_connection() -> Iterator[None]:
    """Calls into the WSGI app must not close the test's database connection.

    Django's own test client does the same: the request signals would otherwise close a
    connection that is inside the test transaction (on PostgreSQL, that ends the test).
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
