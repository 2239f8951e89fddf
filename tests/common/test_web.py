"""The one path of a web action (`casebook.common.web.form_action`), whichever app uses it."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.cache import SessionStore
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.test import RequestFactory

from casebook.common.errors import ConflictError, StaleVersion, TransitionNotAllowed
from casebook.common.web import OneTimeTokenForm, form_action, new_form_token, safe_next


class ReasonForm(OneTimeTokenForm):
    reason = forms.CharField()


def _request(method: str = "post", data: dict | None = None, user_pk: int = 1):
    request = getattr(RequestFactory(), method)("/things/1/act/", data or {})
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request.user = type("User", (), {"pk": user_pk, "is_authenticated": True})()
    return request


def _act(request, perform, **options):
    shown: list[tuple[forms.Form, int]] = []

    def render_form(form: forms.Form, status: int) -> HttpResponse:
        shown.append((form, status))
        return HttpResponse(status=status)

    form = ReasonForm(request.POST if request.method == "POST" else None)
    response = form_action(
        request,
        form=form,
        perform=perform,
        done="done",
        success_url="/things/1/",
        render_form=render_form,
        **options,
    )
    return response, (shown[0] if shown else (None, None))


@pytest.fixture(autouse=True)
def _fresh_tokens():
    cache.clear()


def test_a_get_shows_the_form_and_calls_nothing():
    response, (form, status) = _act(_request("get"), perform=pytest.fail)
    assert response.status_code == status == 200
    assert not form.is_bound


def test_an_invalid_post_shows_the_errors_and_calls_nothing():
    response, (form, _status) = _act(_request(data={}), perform=pytest.fail)
    assert response.status_code == 400
    assert "reason" in form.errors


def test_a_valid_post_calls_the_service_once_and_redirects_with_the_message():
    calls = []
    request = _request(data={"reason": "理由"})
    response, _ = _act(request, perform=lambda data: calls.append(data["reason"]))
    assert (response.status_code, response["Location"]) == (302, "/things/1/")
    assert calls == ["理由"]
    assert [str(m) for m in get_messages(request)] == ["done"]


def test_a_service_validation_error_lands_on_its_field():
    def refuse(data):
        raise ValidationError({"reason": ValidationError("too short", code="short")})

    response, (form, _status) = _act(_request(data={"reason": "x"}), perform=refuse)
    assert response.status_code == 400
    assert form.errors["reason"] == ["too short"]


@pytest.mark.parametrize(
    "error", [ConflictError("quota exceeded"), StaleVersion(expected=1, current=2)]
)
def test_a_conflict_or_a_stale_version_shows_above_the_form_with_409(error):
    def refuse(data):
        raise error

    response, (form, _status) = _act(_request(data={"reason": "x"}), perform=refuse)
    assert response.status_code == 409
    assert form.non_field_errors() == [error.message]


def test_a_refused_transition_goes_to_the_page_unless_a_field_asked_for_it():
    def refuse(data):
        raise TransitionNotAllowed(current="closed", requested="hold")

    with pytest.raises(TransitionNotAllowed):
        _act(_request(data={"reason": "x"}), perform=refuse)
    response, (form, _status) = _act(
        _request(data={"reason": "x"}), perform=refuse, transition_field="reason"
    )
    assert response.status_code == 409
    assert "reason" in form.errors


def test_a_form_sent_twice_is_saved_once():
    calls = []
    token = new_form_token()
    for _ in range(2):
        response, _ = _act(
            _request(data={"reason": "x", "form_token": token}),
            perform=lambda data: calls.append(1),
            once=True,
        )
        assert response.status_code == 302
    assert calls == [1]


def test_a_refused_form_may_be_sent_again():
    token = new_form_token()

    def refuse(data):
        raise ValidationError({"reason": "no"})

    _act(_request(data={"reason": "x", "form_token": token}), perform=refuse, once=True)
    calls = []
    _act(
        _request(data={"reason": "x", "form_token": token}),
        perform=lambda data: calls.append(1),
        once=True,
    )
    assert calls == [1]


def test_next_never_leaves_the_site():
    inside = RequestFactory().get("/", {"next": "/cases/1/"})
    outside = RequestFactory().get("/", {"next": "https://evil.example/"})
    assert safe_next(inside, "/") == "/cases/1/"
    assert safe_next(outside, "/fallback/") == "/fallback/"
