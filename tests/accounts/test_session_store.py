"""The login sessions' store (casebook/accounts/sessions.py): Django's database sessions, their
row read by a statement the ORM compiles once per process. It honours exactly what Django's store
honours: a live row of the cookie's key, nothing else."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from casebook.accounts.sessions import SessionStore


def _logged_in(user) -> tuple[Client, str]:
    web = Client()
    web.force_login(user)
    return web, web.cookies[settings.SESSION_COOKIE_NAME].value


def _calls(work: Callable[[], Any]) -> int:
    """How many Python functions `work` calls, its own callees included."""
    calls = 0

    def count(frame, event, arg) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(count)
    try:
        work()
    finally:
        sys.setprofile(None)
    return calls


def test_a_live_session_logs_its_user_in_on_the_api_and_the_screens(cast):
    web, _key = _logged_in(cast.counselor)
    assert web.get("/api/v1/me/").json()["username"] == "counselor"
    assert web.get("/").status_code == 200


def test_a_session_past_its_expiry_logs_nobody_in(cast):
    web, key = _logged_in(cast.counselor)
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    assert web.get("/api/v1/me/").status_code == 401
    assert web.get("/").status_code == 302


def test_a_session_ended_by_logging_out_logs_nobody_in_with_its_old_cookie(cast):
    web, key = _logged_in(cast.counselor)
    assert web.post("/accounts/logout/").status_code == 302
    stale = Client()
    stale.cookies[settings.SESSION_COOKIE_NAME] = key
    assert stale.get("/api/v1/me/").status_code == 401
    assert not Session.objects.filter(session_key=key).exists()


def test_an_unknown_session_key_loads_nothing_and_is_dropped(db):
    store = SessionStore("no-such-session-key-0123456789")
    assert store.load() == {}
    assert store.session_key is None  # a new session would get a key of its own


def test_the_store_reads_the_same_data_django_wrote(cast):
    _web, key = _logged_in(cast.counselor)
    data = SessionStore(key).load()
    assert data["_auth_user_id"] == str(cast.counselor.pk)
    assert data == Session.objects.get(session_key=key).get_decoded()


def test_reading_a_session_costs_a_few_hundred_python_calls_not_a_queryset(cast):
    _web, key = _logged_in(cast.counselor)
    SessionStore(key).load()  # the statement is compiled on the first read of the process
    # Django's store built the SELECT through the ORM: about 900 calls on PostgreSQL.
    assert _calls(lambda: SessionStore(key).load()) < 400
