"""A hostile value in every text field is shown as text everywhere (docs/security.md,
"Hostile input"): every screen of the site, the printable record and dispatch order, the
CSV and XLSX exports.

The objects are those the route walk builds (tests/test_route_permissions.py): a case of
each confidentiality with its client and contact, sessions, a referral, a dispatch with a
visit, an exit plan with a milestone, a satellite booking, an activity, the roster. Every
plain text field of each (and of the client) gets the payload, cut to the field's length,
written past the services (as a legacy import or the admin might have). Then every route of
the site is read, with its ids, by a manager and by the exit team's lead.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.db import models
from openpyxl import load_workbook

from casebook.accounts.models import DeskRole, OrgRole, User
from tests.factories import UserFactory, member, response_bytes
from tests.test_route_permissions import SITE_ROUTES, World, _ask, _logged_in, _urls, build_world

# Starts like a formula, opens a tag, carries both quotes and an ampersand; the first eight
# characters fit the shortest text fields (a postal code), the rest the longer ones.
PAYLOAD = "=1<q>'\"&<script>alert(1)</script><img src=x onerror=alert(2)>"
RAW = ("<q>", "<script>alert(1)", "<img src=x")
ESCAPED = "&lt;q&gt;"


def _holds_structured_values(field: models.Field) -> bool:
    """A field with a validator of its own (weekday lists, user names) holds no free text."""
    return any(
        not isinstance(validator, MaxLengthValidator | ProhibitNullCharactersValidator)
        for validator in field.validators
    )


def _text_fields(model: type[models.Model]) -> list[models.Field]:
    unique_together = {
        name
        for constraint in model._meta.constraints
        if isinstance(constraint, models.UniqueConstraint)
        for name in constraint.fields
    }
    return [
        field
        for field in model._meta.concrete_fields
        if type(field) in (models.CharField, models.TextField)
        and not field.choices
        and not _holds_structured_values(field)
        and not field.primary_key
        and not field.unique
        and field.name not in unique_together
        and field.editable
    ]


def _poison(obj: models.Model) -> None:
    """Every plain text field of `obj`, and each list of strings it holds, gets the payload."""
    values: dict[str, Any] = {}
    for field in _text_fields(type(obj)):
        values[field.name] = PAYLOAD[: field.max_length] if field.max_length else PAYLOAD
    for field in type(obj)._meta.concrete_fields:
        if isinstance(field, models.JSONField):
            current = getattr(obj, field.attname)
            if isinstance(current, list) and all(isinstance(v, str) for v in current):
                values[field.name] = [PAYLOAD]
    if values:
        type(obj)._default_manager.filter(pk=obj.pk).update(**values)


def _hostile_world() -> World:
    world = build_world(foreign="yorozu")
    booking = world.objects["booking"][0]
    world.objects["satellite_office"].append(booking.slot.office)
    poisoned = set()
    for objects in world.objects.values():
        for obj in objects:
            related = [obj]
            for name in ("client", "case", "dispatch", "plan", "slot", "expert"):
                if getattr(obj, f"{name}_id", None) is not None:
                    related.append(getattr(obj, name))
            for each in related:
                key = (type(each), each.pk)
                if key not in poisoned:
                    poisoned.add(key)
                    _poison(each)
    for case in world.objects["case"]:
        _poison(case.client)
    return world


def _csv_cells(body: bytes) -> list[str]:
    text = body.decode("utf-8-sig", errors="replace")
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _problems(route_label: str, url: str, response: Any) -> tuple[list[str], bool]:
    """What `response` does wrong with the payload, and whether it shows the payload at all."""
    kind = response.get("Content-Type", "")
    body = response_bytes(response)
    if "csv" in kind:
        cells = [cell for cell in _csv_cells(body) if PAYLOAD[:4] in cell]
        return [
            f"{url}: CSV cell {c[:20]!r} runs as a formula" for c in cells if c[0] == "="
        ], bool(cells)
    if "spreadsheetml" in kind:
        book = load_workbook(io.BytesIO(body))
        cells = [
            cell
            for sheet in book.worksheets
            for row in sheet.iter_rows()
            for cell in row
            if isinstance(cell.value, str) and PAYLOAD[2:5] in cell.value
        ]
        return [
            f"{url}: XLSX cell {c.coordinate} is a formula" for c in cells if c.data_type == "f"
        ], bool(cells)
    if "json" in kind:
        # A JSON download (the APPI export) is data for a program, not a page: the payload
        # comes back as the string it is, and nosniff keeps a browser from reading it as HTML.
        problems = (
            []
            if response.get("X-Content-Type-Options") == "nosniff"
            else [f"{url}: JSON without nosniff"]
        )
        return problems, PAYLOAD[:4] in json.dumps(json.loads(body), ensure_ascii=False)
    page = body.decode(errors="replace")
    return [f"{route_label} {url}: shows {raw!r} unescaped" for raw in RAW if raw in page], (
        ESCAPED in page
    )


@pytest.mark.django_db
def test_a_hostile_value_in_every_text_field_is_shown_as_text_on_every_screen_and_export():
    world = _hostile_world()
    readers = {
        "manager": UserFactory(username="hostile_manager", org_role=OrgRole.MANAGER),
        "exit lead": User.objects.get(username="exit_lead"),  # leads the world's restricted case
        "coordinator": member("yorozu", DeskRole.COORDINATOR, username="hostile_coordinator"),
    }
    failures: list[str] = []
    shown_on: set[str] = set()
    for reader, user in readers.items():
        client = _logged_in(user)
        for route in SITE_ROUTES:
            if route.is_api:
                continue
            urls = list(_urls(route, world)) if route.kwargs else [_plain_url(route)]
            for url in urls:
                response = _ask(client, route, url)
                if response.status_code >= 500:
                    failures.append(f"{reader}: {route.label} {url}: {response.status_code}")
                if response.status_code != 200:
                    continue
                found, shown = _problems(route.label, url, response)
                failures.extend(f"{reader}: {problem}" for problem in found)
                if shown:
                    shown_on.add(route.name)
    assert not failures, "\n".join(failures)
    # The walk did show the payload where each kind of object is read.
    assert {
        "case_detail",
        "case_record",
        "client_detail",
        "session_edit",
        "referrals:detail",
        "experts:dispatch",
        "experts:order",
        "exits:plan",
        "satellites:day",
    } <= shown_on, sorted(shown_on)


def _plain_url(route) -> str:
    from django.urls import reverse

    return reverse(route.name)
