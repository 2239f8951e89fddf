"""The rows of my cases, the client page and search are prepared once per page
(`intake.views.rows`): what they show must be what the filters and the status include wrote
per row."""

from __future__ import annotations

import datetime as dt
import itertools

from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils import timezone, translation

from casebook.intake.models import Case, CaseStatus, Confidentiality, Priority
from casebook.intake.views.rows import Dates, status_badges, status_labels
from tests.factories import case_in_state
from tests.web.conftest import login


def test_a_rows_dates_are_written_as_the_date_filters_write_them():
    late_utc = dt.datetime(2026, 11, 25, 16, 30, 5, 120, tzinfo=dt.UTC)  # the 26th in Tokyo
    day = dt.date(2026, 3, 4)
    filters = Template(
        "{% load casebook_tags %}{{ at|date:'c' }}|{{ at|jdate }}|{{ day|date:'Y-m-d' }}"
        "|{{ day|jdate }}|{{ none|jdate }}|{{ yesterday|is_past }}|{{ today|is_past }}"
    )
    today = timezone.localdate()
    values = {"at": late_utc, "day": day, "none": None}
    for language in ("ja", "en"):
        with translation.override(language):
            dates = Dates()
            shown = filters.render(
                Context(values | {"yesterday": today - dt.timedelta(days=1), "today": today})
            )
            prepared = [
                dates.iso(late_utc),
                dates.label(late_utc),
                dates.iso(day),
                dates.label(day),
                dates.label(None),
                str(dates.is_past(today - dt.timedelta(days=1))),
                str(dates.is_past(today)),
            ]
            assert shown == "|".join(prepared)
    assert Dates().iso(None) == "" and not Dates().is_past(None)


def test_the_state_badges_drawn_once_a_combination_are_what_the_status_include_draws():
    combinations = list(
        itertools.product(CaseStatus.values, Priority.values, Confidentiality.values)
    )
    rows = [
        {"status": status, "priority": priority, "confidentiality": level}
        for status, priority, level in combinations * 2
    ]
    with translation.override("ja"):
        status_badges(rows)
        for row, (status, priority, level) in zip(rows, combinations * 2, strict=True):
            case = Case(status=status, priority=priority, confidentiality=level)
            assert row["status_html"] == render_to_string("includes/status.html", {"case": case})
        assert status_labels() == {
            status: Case(status=status).get_status_display() for status in CaseStatus.values
        }


def test_my_cases_show_a_cases_badges_and_a_case_without_a_client_as_anonymous(cast, client):
    case = case_in_state(
        "active", lead=cast.counselor, by=cast.coordinator, title="匿名の案件", priority="high"
    )
    Case.objects.filter(pk=case.pk).update(client=None, confidentiality="confidential")
    page = login(client, cast.counselor).get("/").content.decode()
    row = page[page.index(f'href="/cases/{case.pk}/"') :]
    row = row[: row.index("</tr>")]
    assert '<span class="muted">匿名</span>' in row
    assert '<span class="badge high">' in row and '<span class="badge conf-confidential">' in row
    assert f"<td>{cast.counselor.display_name or cast.counselor.username}</td>" in row
