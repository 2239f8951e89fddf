"""Sockets against the real ASGI application: session cookie, origin check, channel layer."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client

from casebook.accounts.models import User

ON_REDIS = bool(os.environ.get("REDIS_URL"))
needs_redis = pytest.mark.skipif(
    not ON_REDIS, reason="needs Redis: set REDIS_URL=redis://… (CI does)"
)

ORIGIN = (b"origin", b"http://testserver")


def session_cookie(user: User) -> str:
    """A real login session for `user`, as the browser would carry it."""
    client = Client()
    client.force_login(user)
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run an async scenario from a sync test (services called in it use the test database)."""
    async_to_sync(scenario)()


async def open_socket(
    path: str, cookie: str | None = None, *, extra_cookies: str = "", application: Any = None
) -> WebsocketCommunicator:
    """Connect through casebook.asgi.application (or `application`), origin check and session
    auth included."""
    if application is None:
        from casebook.asgi import application

    headers = [ORIGIN]
    cookies = "; ".join(
        part
        for part in (
            f"{django_settings.SESSION_COOKIE_NAME}={cookie}" if cookie else "",
            extra_cookies,
        )
        if part
    )
    if cookies:
        headers.append((b"cookie", cookies.encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect(timeout=3)
    assert connected, f"{path} refused the handshake"
    first = await communicator.receive_output(timeout=2)
    if first["type"] == "websocket.close":
        communicator.close_code = first.get("code")
    else:
        hello = json.loads(first["text"])
        assert hello["type"] == "hello", hello
        communicator.close_code = None
    return communicator


async def close_code(communicator: WebsocketCommunicator) -> int | None:
    """The code of the close the server sent next; fails if it sent anything else first."""
    if communicator.close_code is not None:
        return communicator.close_code
    output = await communicator.receive_output(timeout=2)
    assert output["type"] == "websocket.close", f"expected a close, got {output}"
    return output.get("code")
