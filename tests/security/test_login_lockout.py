"""Finding 5 (docs/security.md): password guessing is limited per user name, on the web login
and the token exchange alike, whatever X-Forwarded-For says."""

from __future__ import annotations

from django.test import Client, RequestFactory, override_settings
from rest_framework.test import APIClient

from casebook.accounts.lockout import client_ip
from tests.factories import PASSWORD

LIMIT = 10  # CASEBOOK_LOGIN_FAILURE_LIMIT's default


def test_the_web_login_refuses_the_right_password_after_too_many_wrong_ones(cast):
    web = Client()
    for attempt in range(LIMIT):
        response = web.post(
            "/accounts/login/", {"username": "counselor", "password": f"wrong-{attempt}"}
        )
        assert response.status_code in (200, 429)
    response = web.post("/accounts/login/", {"username": "counselor", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in web.session


def test_a_locked_user_name_stays_locked_for_other_addresses_and_other_browsers(cast):
    for attempt in range(LIMIT):
        Client(REMOTE_ADDR=f"10.0.0.{attempt}").post(
            "/accounts/login/", {"username": "counselor", "password": "wrong"}
        )
    response = Client(REMOTE_ADDR="10.9.9.9").post(
        "/accounts/login/", {"username": "counselor", "password": PASSWORD}
    )
    assert response.status_code == 429
    # Another user name is not affected.
    other = Client().post("/accounts/login/", {"username": "coordinator", "password": PASSWORD})
    assert other.status_code == 302


def test_rotating_x_forwarded_for_does_not_lift_the_token_endpoints_limit(cast):
    for attempt in range(LIMIT):
        APIClient().post(
            "/api/v1/auth/token/",
            {"username": "counselor", "password": "wrong"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}",
        )
    response = APIClient().post(
        "/api/v1/auth/token/",
        {"username": "counselor", "password": PASSWORD},
        format="json",
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "locked_out" and "token" not in body


def test_a_successful_login_before_the_limit_starts_the_count_again(cast):
    web = Client()
    for _ in range(LIMIT - 1):
        web.post("/accounts/login/", {"username": "counselor", "password": "wrong"})
    assert (
        web.post("/accounts/login/", {"username": "counselor", "password": PASSWORD}).status_code
        == 302
    )
    web.post("/accounts/logout/")
    for _ in range(LIMIT - 1):
        web.post("/accounts/login/", {"username": "counselor", "password": "wrong"})
    assert (
        web.post("/accounts/login/", {"username": "counselor", "password": PASSWORD}).status_code
        == 302
    )


def test_x_forwarded_for_is_believed_only_for_the_trusted_proxies():
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7"
    )
    with override_settings(CASEBOOK_TRUSTED_PROXY_COUNT=0):
        assert client_ip(request) == "10.0.0.1"
    with override_settings(CASEBOOK_TRUSTED_PROXY_COUNT=1):
        assert client_ip(request) == "198.51.100.7"
