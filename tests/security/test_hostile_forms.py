"""Hostile strings through the forms (docs/security.md, "Hostile input"): emoji, NUL, right-
to-left marks, other scripts' digits, 10,000 characters. The answer is a redirect (saved) or
the form again with its errors (400): never a 500, and never half a save."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from typing import Any

import pytest
from django import forms
from django.apps import apps
from django.contrib.auth.forms import AuthenticationForm
from django.urls import resolve, reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casebook.accounts.models import DeskRole, OrgRole, User
from casebook.intake import services
from casebook.intake.models import Client, ConsultationSession
from tests.factories import UserFactory, case_in_state, member
from tests.test_route_permissions import SITE_ROUTES, _logged_in, _urls, build_world
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


# Every form of the site: each screen the route walk reaches (tests/test_route_permissions.py)
# that renders a form gets it back with every text field holding a hostile string and the
# form's own values elsewhere, posted by the login that was shown the form.
SWEEP_STRINGS = (
    "株式会社\x00水戸",
    "\u202e製作所\u202c\u200f",
    "😀👨‍👩‍👧‍👦" * 20,
    "ｱ" * 10_000,
    "٣١٠٠٨٠١\r\n\t",
)


def _forms_of(response) -> list[forms.BaseForm]:
    contexts = response.context
    if contexts is None:
        return []
    if not isinstance(contexts, list):
        contexts = [contexts]
    found: dict[int, forms.BaseForm] = {}
    values = [v for context in contexts for v in context.flatten().values()]
    for value in values:
        if isinstance(value, forms.BaseForm) and not isinstance(value, AuthenticationForm):
            found[id(value)] = value
    return list(found.values())


class _PostForms(HTMLParser):
    """The page's POST forms: where each posts, and the names of its fields."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, set[str]]] = []
        self._open: tuple[str, set[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "form" and (named.get("method") or "").lower() == "post":
            self._open = (named.get("action") or "", set())
        elif tag in ("input", "select", "textarea") and self._open and named.get("name"):
            self._open[1].add(named["name"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._open:
            self.forms.append(self._open)
            self._open = None


def _post_targets(page, url: str) -> list[tuple[forms.BaseForm, str]]:
    """Each Django form the page shows inside a POST form, with the address it posts to."""
    parser = _PostForms()
    parser.feed(page.content.decode())
    targets = []
    for form in _forms_of(page):
        names = {bound.html_name for bound in form} - {"form_token"}
        # The POST form holding most of its fields (a screen may leave out a field its
        # reader may not set).
        overlap, action = max(
            ((len(names & fields), action) for action, fields in parser.forms), default=(0, "")
        )
        if overlap and overlap * 2 >= len(names):
            targets.append((form, action or url))
    return targets


def _posted_value(bound: forms.BoundField) -> Any:
    value = bound.value()
    field = bound.field
    if isinstance(field, forms.BooleanField):
        return "on" if value else None
    if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
        return [str(v) for v in value or []]
    if value in (None, "") and isinstance(field, forms.ChoiceField):
        choices = [key for key, _ in field.choices if key not in ("", None)]
        return str(choices[0]) if choices else None
    if isinstance(value, dt.datetime):
        return local_input(value) if timezone.is_aware(value) else value.strftime("%Y-%m-%dT%H:%M")
    return value


def _hostile_data(form: forms.BaseForm, hostile: str) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for bound in form:
        field = bound.field
        if bound.name == "form_token":
            data[bound.name] = f"h{id(form)}{len(hostile)}{hostile[:1]!r}"
        elif type(field) is forms.CharField and not isinstance(field.widget, forms.HiddenInput):
            data[bound.name] = hostile
        else:
            value = _posted_value(bound)
            if value is not None:
                data[bound.html_name] = value
    return data


def _row_counts() -> dict[str, int]:
    # An unmanaged model (the search's rows per case) has its table on PostgreSQL only.
    return {m._meta.label: m._default_manager.count() for m in apps.get_models() if m._meta.managed}


@pytest.mark.django_db
def test_every_form_of_the_site_takes_a_hostile_string_in_each_text_field_whole():
    world = build_world(foreign="yorozu")
    posters = [
        User.objects.get(username="lead_yorozu"),  # leads the world's cases
        User.objects.get(username="exit_lead"),
        UserFactory(username="hostile_forms_manager", org_role=OrgRole.MANAGER),
        member("yorozu", DeskRole.COORDINATOR, username="hostile_forms_coordinator"),
    ]
    failures: list[str] = []
    posted: set[str] = set()
    tried: set[tuple[str, str]] = set()
    strings = iter(SWEEP_STRINGS * 1000)
    for route in SITE_ROUTES:
        if route.is_api:
            continue
        urls = list(_urls(route, world)) if route.kwargs else [reverse(route.name)]
        for url in urls:
            for user in posters:
                web = _logged_in(user)
                page = web.get(url)
                readable = (
                    page.status_code == 200
                    and not page.streaming
                    and page.get("Content-Type", "").startswith("text/html")
                )
                shown = _post_targets(page, url) if readable else []
                if not shown:
                    continue
                for form, action in shown:
                    kind = (resolve(action.split("?")[0]).view_name, type(form).__name__)
                    if kind in tried:
                        continue
                    tried.add(kind)
                    hostile = next(strings)
                    before = _row_counts()
                    response = web.post(action, _hostile_data(form, hostile))
                    posted.add(resolve(action.split("?")[0]).view_name)
                    where = f"{route.label} {action} {type(form).__name__} as {user.username}"
                    if response.status_code >= 500:
                        failures.append(f"{where}: {response.status_code}")
                    elif response.status_code in (301, 302, 303):
                        continue
                    elif 400 <= response.status_code < 500:
                        if _row_counts() != before:
                            failures.append(f"{where}: refused ({response.status_code}) yet wrote")
                    else:
                        failures.append(f"{where}: answered {response.status_code}")
                break
    assert not failures, "\n".join(failures)
    # The walk did reach the forms of each area (32 routes when this was written).
    assert {
        "intake",
        "client_edit",
        "contact_new",
        "case_edit",
        "case_close",
        "session_new",
        "session_edit",
        "attachments:new",
        "referrals:checklist",
        "experts:new",
        "exits:milestone_edit",
        "reports:outcome_record",
        "satellites:book",
        "satellites:rule_new",
        "notifications:preferences",
        "password_change",
    } <= posted, sorted(posted)
