"""Finding 8 (docs/security.md): API tokens are stored hashed, expire, end with a password
change or a deactivation, and their owner lists and revokes them."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from casebook.api.models import ApiToken
from tests.factories import PASSWORD, api_token


def _exchange(username: str) -> str:
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    return response.json()["token"]


def _me(token: str) -> int:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api.get("/api/v1/me/").status_code


def test_the_database_holds_only_a_hash_of_each_token(cast):
    token = _exchange("counselor")
    stored = ApiToken.objects.get(user=cast.counselor)
    assert stored.key_hash == hashlib.sha256(token.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_apitoken")
        assert token not in repr(cursor.fetchall())
    assert _me(token) == 200


def test_an_expired_token_authenticates_nobody(cast, settings):
    token = _exchange("counselor")
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert _me(token) == 401


def test_the_token_lifetime_is_a_setting(cast, settings):
    settings.CASEBOOK_API_TOKEN_DAYS = 7
    _exchange("counselor")
    stored = ApiToken.objects.get(user=cast.counselor)
    assert stored.expires_at - stored.created_at == dt.timedelta(days=7)


def test_a_password_change_revokes_every_token(cast):
    first, second = _exchange("counselor"), _exchange("counselor")
    web = Client()
    web.force_login(cast.counselor)
    response = web.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-passphrase-2026",
            "new_password2": "a-new-long-passphrase-2026",
        },
    )
    assert response.status_code == 302
    assert (_me(first), _me(second)) == (401, 401)
    assert set(ApiToken.objects.values_list("revoked_because", flat=True)) == {"password_changed"}


def test_deactivating_a_login_revokes_its_tokens(cast):
    token = _exchange("counselor")
    cast.counselor.is_active = False
    cast.counselor.save(update_fields=["is_active"])
    cast.counselor.is_active = True
    cast.counselor.save(update_fields=["is_active"])
    assert _me(token) == 401


def test_a_user_lists_and_revokes_their_own_tokens_through_the_api(cast):
    mine = _exchange("counselor")
    theirs = ApiToken.objects.get(pk=_token_id(api_token(cast.coordinator)))
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {mine}")
    listed = api.get("/api/v1/tokens/").json()["results"]
    assert [row["prefix"] for row in listed] == [mine[:8]]
    assert all("key_hash" not in row and "token" not in row for row in listed)
    assert api.get(f"/api/v1/tokens/{theirs.pk}/").status_code == 404
    assert api.post(f"/api/v1/tokens/{theirs.pk}/revoke/").status_code == 404
    revoked = api.post(f"/api/v1/tokens/{listed[0]['id']}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["revoked_because"] == "owner"
    assert _me(mine) == 401


def test_a_user_lists_and_revokes_their_own_tokens_on_the_tokens_page(cast):
    mine = api_token(cast.counselor)
    theirs = _token_id(api_token(cast.coordinator))
    web = Client()
    web.force_login(cast.counselor)
    page = web.get("/accounts/tokens/").content.decode()
    assert f"{mine[:8]}…" in page
    assert web.post(f"/accounts/tokens/{theirs}/revoke/").status_code == 404
    assert web.post(f"/accounts/tokens/{_token_id(mine)}/revoke/").status_code == 302
    assert _me(mine) == 401


def _token_id(token: str) -> int:
    return ApiToken.objects.get(key_hash=hashlib.sha256(token.encode()).hexdigest()).pk
