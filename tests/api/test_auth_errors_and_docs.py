"""Token and session authentication, the one error shape, the schema and the offline docs."""

from __future__ import annotations

import re

import pytest
from django.test import Client as BrowserClient
from rest_framework.test import APIClient

from casebook.intake.models import Client
from tests.factories import PASSWORD, CaseFactory

ERROR_KEYS = {"type", "code", "detail", "errors"}


def test_a_token_is_exchanged_for_username_and_password_and_then_authenticates(cast):
    api = APIClient()
    response = api.post(
        "/api/v1/auth/token/", {"username": "counselor", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    me = api.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["username"] == "counselor"
    assert me.json()["memberships"] == [{"desk": "yorozu", "role": "counselor"}]


def test_a_wrong_password_gets_no_token(cast):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "counselor", "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_credentials"
    assert "token" not in response.json()


def test_an_unknown_token_is_refused(db):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef")
    response = api.get("/api/v1/cases/")
    assert response.status_code == 401
    assert set(response.json()) >= ERROR_KEYS


def test_a_web_session_needs_the_csrf_token_for_writes(cast):
    browser = BrowserClient(enforce_csrf_checks=True)
    browser.force_login(cast.counselor)
    assert browser.get("/api/v1/me/").status_code == 200
    body = '{"kind": "company", "name": "株式会社セッション"}'
    refused = browser.post("/api/v1/clients/", body, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["type"] == "permission_denied"
    assert not Client.objects.exists()
    browser.get("/api/v1/me/")
    csrf = browser.cookies.get("csrftoken")
    if csrf is None:  # the API does not set it; the web pages do
        from django.middleware.csrf import _get_new_csrf_string

        csrf_value = _get_new_csrf_string()
        browser.cookies["csrftoken"] = csrf_value
    else:
        csrf_value = csrf.value
    accepted = browser.post(
        "/api/v1/clients/", body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf_value
    )
    assert accepted.status_code == 201


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("get", "/api/v1/cases/999999/", 404),
        ("get", "/api/v1/no-such-resource/", 404),
        ("post", "/api/v1/clients/", 400),
        ("delete", "/api/v1/clients/1/", 405),
    ],
)
def test_every_error_has_the_same_shape(cast, api_as, method, url, status):
    response = getattr(api_as(cast.counselor), method)(url, {}, format="json")
    assert response.status_code == status
    body = response.json()
    assert set(body) >= ERROR_KEYS
    assert isinstance(body["errors"], list)


def test_an_unexpected_error_is_a_500_in_the_error_shape(cast, api_as, monkeypatch):
    from casebook.intake.api.views import CaseViewSet

    def explode(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(CaseViewSet, "get_selector", staticmethod(explode))
    case = CaseFactory()
    response = api_as(cast.counselor).get(f"/api/v1/cases/{case.pk}/")
    assert response.status_code == 500
    body = response.json()
    assert (body["type"], body["code"]) == ("server_error", "server_error")
    assert "fire" not in body["detail"]


def test_the_openapi_description_is_generated_once_and_served_alike_to_every_login(cast, api_as):
    """It is a function of the code (every login is served the whole API): generated on the
    first request of a process, per language, and served after that; a stranger still gets
    401."""
    from unittest import mock

    from casebook.api.urls import SchemaView

    SchemaView._documents.clear()
    generate = SchemaView.generator_class.get_schema
    with mock.patch.object(
        SchemaView.generator_class, "get_schema", autospec=True, side_effect=generate
    ) as generated:
        json_type = "application/vnd.oai.openapi+json"
        first = api_as(cast.counselor).get("/api/schema/", HTTP_ACCEPT=json_type)
        second = api_as(cast.manager).get("/api/schema/", HTTP_ACCEPT=json_type)
        as_yaml = api_as(cast.auditor).get("/api/schema/")
        assert generated.call_count == 1
        english = api_as(cast.manager).get("/api/schema/?lang=en", HTTP_ACCEPT=json_type)
        assert generated.call_count == 2
    assert first.status_code == second.status_code == as_yaml.status_code == 200
    assert first.content == second.content
    assert as_yaml.content.startswith(b"openapi: ")
    assert english.status_code == 200
    assert APIClient().get("/api/schema/").status_code == 401


def test_the_openapi_schema_lists_the_resources_and_the_error_shape(cast, api_as):
    response = api_as(cast.counselor).get(
        "/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
    )
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in (
        "/api/v1/clients/",
        "/api/v1/cases/{id}/assign/",
        "/api/v1/cases/{id}/close/",
        "/api/v1/sessions/",
        "/api/v1/desks/",
        "/api/v1/offices/",
        "/api/v1/topics/",
        "/api/v1/me/",
        "/api/v1/auth/token/",
    ):
        assert path in schema["paths"], path
    assert set(schema["components"]["schemas"]["Error"]["properties"]) >= ERROR_KEYS
    patch = schema["paths"]["/api/v1/cases/{id}/"]["patch"]
    assert any(p["name"] == "If-Match" and p["required"] for p in patch["parameters"])
    create = schema["paths"]["/api/v1/cases/"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])


def test_the_swagger_ui_loads_its_assets_from_this_server_only(cast, client):
    client.force_login(cast.counselor)
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any("swagger-ui" in asset for asset in assets)
    assert all(not asset.startswith(("http:", "https:", "//")) for asset in assets), assets


def test_a_request_with_a_host_not_allowed_gets_the_api_error_shape_under_api(cast):
    client = APIClient()
    client.force_authenticate(cast.counselor)
    response = client.get("/api/v1/clients/", HTTP_HOST="yB3")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "bad_request"
    page = BrowserClient().get("/accounts/login/", HTTP_HOST="yB3")
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")
