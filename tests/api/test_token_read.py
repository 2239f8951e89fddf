"""The token read behind every token request (casebook/api/selectors.py, `token_authenticate`):
a statement the ORM compiles once per process, giving the token and its login as the ORM would."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from casebook.api import selectors, services
from casebook.api.models import ApiToken
from tests.accounts.test_session_store import _calls
from tests.factories import api_token


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_the_token_read_gives_the_token_and_its_login_as_the_orm_reads_them(cast):
    key = api_token(cast.coordinator)
    ApiToken.objects.update(last_used_at=timezone.now() - dt.timedelta(hours=1))
    read = selectors.token_authenticate(key_hash=services.token_hash(key))
    stored = ApiToken.objects.select_related("user").get(key_hash=services.token_hash(key))
    assert _fields(read) == _fields(stored)
    assert _fields(read.user) == _fields(stored.user)
    assert read.user_id == read.user.pk == cast.coordinator.pk
    assert not read._state.adding and not read.user._state.adding
    assert isinstance(read.user.is_active, bool)
    assert read.expires_at.tzinfo is not None and read.last_used_at.tzinfo is not None


def test_the_token_read_finds_no_revoked_expired_unknown_or_deactivated_token(cast):
    revoked, expired, deactivated = (
        api_token(cast.counselor),
        api_token(cast.colleague),
        api_token(cast.auditor),
    )
    now = timezone.now()
    ApiToken.objects.filter(user=cast.counselor).update(revoked_at=now)
    ApiToken.objects.filter(user=cast.colleague).update(expires_at=now - dt.timedelta(seconds=1))
    type(cast.auditor).objects.filter(pk=cast.auditor.pk).update(is_active=False)
    for key in (revoked, expired, deactivated, "no-such-token"):
        assert selectors.token_authenticate(key_hash=services.token_hash(key)) is None


def test_reading_a_token_costs_a_few_hundred_python_calls_not_a_queryset(cast):
    key_hash = services.token_hash(api_token(cast.counselor))
    selectors.token_authenticate(key_hash=key_hash)  # compiled on the first read
    # Built through the ORM (select_related, four conditions, first()): about 2,500 calls.
    assert _calls(lambda: selectors.token_authenticate(key_hash=key_hash)) < 600
