"""Redis goes away mid-run (docs/architecture.md, "When a service goes away"): the pages and
the API keep working, nothing answers 500, a form sent twice is still saved once, and only
the live updates wait for Redis to come back."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings as django_settings
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from casebook.common.redis_backends import redis_settings
from casebook.intake.models import Case, ConsultationSession
from tests.factories import ClientFactory, api_token, case_in_state
from tests.live.sockets import ORIGIN, session_cookie
from tests.web.conftest import local_input, login

# A request must not wait on a Redis that is gone. Each call to Redis gives up within a
# second; the bound leaves room for a loaded CI machine and stays far below a proxy's
# timeout (60 s), which a request hanging on Redis would reach.
PROMPT = 20.0


@pytest.fixture
def on_private_redis(settings, private_redis):
    for name, value in redis_settings(private_redis.url).items():
        setattr(settings, name, value)
    settings.REDIS_URL = private_redis.url
    cache.clear()
    return private_redis


def _session(token: str, summary: str) -> dict:
    return {
        "form_token": token,
        "started_at": local_input(timezone.now() - dt.timedelta(hours=1)),
        "duration_minutes": 45,
        "mode": "in_person_hq",
        "topics": ["finance"],
        "summary": summary,
    }


def _work_a_day(cast, client, case, api, label: str) -> None:
    """A counselor's and an integration's usual requests, each prompt and none a 500; every
    write is committed and its live update sent (or given up on) as in production."""
    web = login(client, cast.counselor)
    for path in ("/", "/desks/yorozu/board/", f"/cases/{case.pk}/", "/desks/yorozu/board/columns/"):
        started = time.monotonic()
        assert web.get(path).status_code == 200, path
        assert time.monotonic() - started < PROMPT, path

    summary = f"{label}: 資金繰りの相談"
    started = time.monotonic()
    first = web.post(f"/cases/{case.pk}/sessions/new/", _session(f"token-{label}", summary))
    again = web.post(f"/cases/{case.pk}/sessions/new/", _session(f"token-{label}", summary))
    assert time.monotonic() - started < 2 * PROMPT
    assert first.status_code == again.status_code == 302
    assert ConsultationSession.objects.filter(summary=summary).count() == 1

    assert api.get("/api/v1/cases/").status_code == 200
    created = api.post(
        "/api/v1/cases/",
        {"desk": "yorozu", "client": ClientFactory().pk, "title": label, "intake_channel": "phone"},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert Case.objects.filter(title=label).exists()
    # The token exchange counts its attempts in the cache.
    refused = api.post(
        "/api/v1/auth/token/", {"username": "counselor", "password": "wrong"}, format="json"
    )
    assert refused.status_code in (400, 401)


def test_pages_forms_and_the_api_keep_working_when_redis_goes_away(
    cast, client, on_private_redis, django_capture_on_commit_callbacks
):
    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(cast.counselor)}")
    with django_capture_on_commit_callbacks(execute=True):
        _work_a_day(cast, client, case, api, "before")
    on_private_redis.stop()
    with django_capture_on_commit_callbacks(execute=True) as sent:
        _work_a_day(cast, client, case, api, "after")
    assert sent  # the live updates were attempted, and their failure stayed out of the way


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_live_socket_gives_up_at_once_when_redis_is_gone(cast, on_private_redis):
    """The board's socket ends at once on the missing channel layer (the server closes it; the
    page shows "connection lost", re-reads its board every half minute meanwhile and
    reconnects with backoff), never left hanging. (A transaction of its own: the socket reads
    the session from another thread.)"""
    from channels.testing import WebsocketCommunicator
    from redis.exceptions import ConnectionError as RedisConnectionError

    from casebook.asgi import application

    cookie = session_cookie(cast.counselor)
    on_private_redis.stop()

    async def scenario() -> None:
        communicator = WebsocketCommunicator(
            application,
            "/ws/board/yorozu/",
            headers=[
                ORIGIN,
                (b"cookie", f"{django_settings.SESSION_COOKIE_NAME}={cookie}".encode()),
            ],
        )
        await communicator.send_input({"type": "websocket.connect"})
        with pytest.raises(RedisConnectionError):
            await asyncio.wait_for(communicator.future, PROMPT)

    async_to_sync(scenario)()
