"""Hostile strings through the forms (docs/security.md, "Hostile input"): emoji, NUL, right-
to-left marks, other scripts' digits, 10,000 characters. The answer is a redirect (saved) or
the form again with its errors (400): never a 500, and never half a save."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casebook.intake import services
from casebook.intake.models import Client, ConsultationSession
from tests.factories import case_in_state
from tests.web.conftest import local_input, login

HOSTILE = st.text(max_size=60) | st.sampled_from(
    [
        "\x00",
        "株式会社\x00水戸",
        "\u202e製作所\u202c",
        "\u200f株式会社\u200e",
        "😀👨‍👩‍👧‍👦" * 20,
        "ｱ" * 10_000,
        "٣١٠٠٨٠١",
        "\r\n\t",
        " ",
    ]
)
EXAMPLES = settings(
    max_examples=25,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CLIENT_TEXT = (
    "name",
    "name_kana",
    "corporate_number",
    "representative",
    "postal_code",
    "prefecture",
    "municipality",
    "address",
    "phone",
    "email",
)
SESSION_TEXT = ("summary", "advice", "client_attendees")


def _client_form(client: Client, token: str, **changes) -> dict:
    data = {
        "version": client.version,
        "kind": client.kind,
        "industry": client.industry,
        "form_token": token,
        **{name: getattr(client, name) for name in CLIENT_TEXT},
    }
    data.update(changes)
    return data


def _row(client: Client) -> dict:
    return {name: getattr(client, name) for name in (*CLIENT_TEXT, "version", "size_class")}


def test_a_hostile_string_in_any_client_field_is_saved_or_refused_whole(cast, client):
    web = login(client, cast.counselor)
    target = services.client_create(by=cast.counselor, kind="company", name="株式会社水戸製作所")
    sent = iter(range(10**6))

    @EXAMPLES
    @given(field=st.sampled_from(CLIENT_TEXT), value=HOSTILE)
    def send(field: str, value: str) -> None:
        target.refresh_from_db()
        before, history = _row(target), target.history.count()
        response = web.post(
            f"/clients/{target.pk}/edit/",
            _client_form(target, f"t{next(sent)}", **{field: value}),
        )
        assert response.status_code in (302, 400), (field, value[:40], response.status_code)
        target.refresh_from_db()
        if response.status_code == 400:
            assert _row(target) == before
            assert target.history.count() == history
        else:
            assert target.version == before["version"] + 1
            assert target.history.count() == history + 1
            assert "\x00" not in getattr(target, field)

    send()


def test_a_hostile_string_in_a_session_is_saved_or_refused_whole(cast, client):
    web = login(client, cast.counselor)
    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    sent = iter(range(10**6))

    @EXAMPLES
    @given(field=st.sampled_from(SESSION_TEXT), value=HOSTILE)
    def send(field: str, value: str) -> None:
        sessions = ConsultationSession.objects.filter(case=case).count()
        data = {
            "form_token": f"s{next(sent)}",
            "started_at": local_input(timezone.now() - dt.timedelta(hours=1)),
            "duration_minutes": 30,
            "mode": "phone",
            "summary": "電話で相談",
            field: value,
        }
        response = web.post(f"/cases/{case.pk}/sessions/new/", data)
        assert response.status_code in (302, 400), (field, value[:40], response.status_code)
        added = ConsultationSession.objects.filter(case=case).count() - sessions
        assert added == (1 if response.status_code == 302 else 0)

    send()
