"""The login backend (casebook/accounts/backends.py): the session's user row read by a
statement compiled once; sessions made under Django's own backend stay logged in."""

from __future__ import annotations

from unittest import mock

from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_login_failed
from django.test import Client

from casebook.accounts.backends import UserBackend
from casebook.accounts.models import User
from tests.accounts.test_session_store import _calls
from tests.factories import PASSWORD

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def test_a_login_is_made_by_the_casebook_backend_and_stays_logged_in(cast):
    web = Client()
    response = web.post("/accounts/login/", {"username": "counselor", "password": PASSWORD})
    assert response.status_code == 302
    assert web.session[BACKEND_SESSION_KEY] == "casebook.accounts.backends.UserBackend"
    assert web.get("/api/v1/me/").json()["username"] == "counselor"


def test_a_session_made_under_djangos_backend_stays_logged_in(cast):
    web = Client()
    web.force_login(cast.coordinator, backend=MODEL_BACKEND)
    assert web.session[BACKEND_SESSION_KEY] == MODEL_BACKEND
    assert web.get("/api/v1/me/").json()["username"] == "coordinator"


def test_the_backend_reads_the_login_as_djangos_backend_does(cast):
    for user in vars(cast).values():
        read, stored = UserBackend().get_user(user.pk), ModelBackend().get_user(user.pk)
        assert {f.attname: getattr(read, f.attname) for f in User._meta.concrete_fields} == {
            f.attname: getattr(stored, f.attname) for f in User._meta.concrete_fields
        }
    for missing in (10**9, "not-an-id", None):
        assert UserBackend().get_user(missing) is None


def test_a_deactivated_login_or_a_changed_password_ends_the_session_at_the_next_request(cast):
    deactivated, changed = Client(), Client()
    deactivated.force_login(cast.counselor)
    changed.force_login(cast.coordinator)
    assert deactivated.session[SESSION_KEY] == str(cast.counselor.pk)
    User.objects.filter(pk=cast.counselor.pk).update(is_active=False)
    cast.coordinator.set_password("another-password-1")
    cast.coordinator.save()
    assert deactivated.get("/api/v1/me/").status_code in (401, 403)
    assert changed.get("/api/v1/me/").status_code in (401, 403)


def test_a_wrong_password_is_checked_once_and_reported_once(cast):
    failures = []

    def failed(sender, **kwargs) -> None:
        failures.append(kwargs["credentials"]["username"])

    user_login_failed.connect(failed)
    try:
        with mock.patch.object(User, "check_password", autospec=True) as check:
            check.return_value = False
            response = Client().post(
                "/accounts/login/", {"username": "counselor", "password": "wrong"}
            )
    finally:
        user_login_failed.disconnect(failed)
    assert response.status_code == 200
    assert check.call_count == 1
    assert failures == ["counselor"]


def test_reading_the_login_costs_a_few_hundred_calls_not_a_queryset(cast):
    backend = UserBackend()
    backend.get_user(cast.counselor.pk)  # compiled on the first read
    # Django's backend (`User.objects.get`): about 1,000 calls.
    assert _calls(lambda: backend.get_user(cast.counselor.pk)) < 300
