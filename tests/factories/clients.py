"""Clients of the suite's query budgets: a logged-in browser, an integration with a token, and
a count of the queries one request costs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test import Client as WebClient
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.factories.core import api_token

__all__ = ["api_as", "count_queries", "response_bytes", "web_as"]


def web_as(user: Any, *, first_visit: str) -> WebClient:
    """A browser logged in as `user`; `first_visit` settles the session, so the requests
    measured after it cost what they cost every day."""
    web = WebClient()
    web.force_login(user)
    web.get(first_visit)
    return web


def api_as(user: Any) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return api


def count_queries(send: Callable[[], Any]) -> tuple[int, Any]:
    """The queries `send()` costs, and its answer."""
    with CaptureQueriesContext(connection) as context:
        response = send()
    return len(context.captured_queries), response


def response_bytes(response: Any) -> bytes:
    """The body of `response`, whether it was sent whole or streamed (the exports stream)."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content
