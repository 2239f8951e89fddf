"""The rows of the web lists of cases (my cases, the client page, search), made ready to show
in one pass: the lists are read as plain rows (dicts of columns), and what a row shows that a
template would otherwise compute for each row (its links, its dates as the page writes them,
whether a date is past, its state's badges) is put on the row here, once per row or once per
page. The templates then read keys (docs/performance.md, "My cases and the client page").

The values are those of the filters and the include the templates used per row (`jdate`,
`is_past`, `date`, includes/status.html), so the page does not change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils import timezone

from casebook.common.fragments import drawer
from casebook.common.web import url_for_each
from casebook.intake.models import Case
from casebook.intake.services import CaseRead
from casebook.intake.templatetags.casebook_tags import date_label, is_japanese, local_date

Row = dict[str, Any]
NO_VALUE = "—"


class Dates:
    """A page's dates as its rows show them: `2026年11月26日` (as the `jdate` filter writes
    it), and whether one is past. Today, the time zone and the language are read once for
    the page: a page of my cases labels about 300 dates."""

    def __init__(self) -> None:
        self.zone = timezone.get_current_timezone()
        self.today = timezone.localdate(timezone=self.zone)
        self.japanese = is_japanese()

    def label(self, value: dt.date | dt.datetime | None) -> str:
        if not value:
            return ""
        return date_label(local_date(value, self.zone), japanese=self.japanese)

    def iso(self, value: dt.date | dt.datetime | None) -> str:
        """What `|date:'c'` writes of a moment (in local time), `|date:'Y-m-d'` of a day."""
        if value is None:
            return ""
        if isinstance(value, dt.datetime):
            return timezone.localtime(value, self.zone).isoformat()
        return value.isoformat()

    def is_past(self, value: dt.date | None) -> bool:
        # The rows' past dates are date columns (a follow-up, a resume-by date).
        return bool(value) and value < self.today

    def days_since(self, value: dt.datetime) -> int:
        """Whole days from a moment (in local time) to today, as the `age_days` filter says."""
        return (self.today - timezone.localtime(value, self.zone).date()).days


def status_badges(rows: Iterable[Row]) -> None:
    """Put on each row its state and badges (`status_html`) as includes/status.html draws
    them: drawn once per process for each state, priority and confidentiality in the active
    language (`common.fragments`), not once per row or page."""
    draw = drawer("includes/status.html")
    for row in rows:
        key = (row["status"], row["priority"], row["confidentiality"])
        row["status_html"] = draw(key, lambda key=key: {"case": _case_of(*key)}, {})


def _case_of(status: str, priority: str, confidentiality: str) -> Case:
    return Case(status=status, priority=priority, confidentiality=confidentiality)


def status_labels() -> dict[str, str]:
    """The states' labels in the active language, as `get_status_display` gives them."""
    return {value: str(label) for value, label in Case._meta.get_field("status").flatchoices}


def draw_rows(
    rows: Iterable[Row],
    template_name: str,
    *,
    to: str,
    shape: Mapping[str, str],
    holes: Mapping[str, str],
) -> None:
    """Put on each row (under `to`) `template_name` drawn as the page's loop drew the row, from
    text kept once per shape (`common.fragments.render_once`): `shape` names what the
    template's conditions read (template name → the row's key, read as true or false), `holes`
    what it prints (template name → the row's key), escaped as the template escapes it. A few
    shapes a list, not a template rendered per row (docs/performance.md, "My cases and the
    client page")."""
    draw = drawer(template_name)
    for row in rows:
        conditions = tuple(bool(row[key]) for key in shape.values())
        row[to] = draw(
            conditions,
            lambda conditions=conditions: dict(zip(shape, conditions, strict=True)),
            {name: row[key] for name, key in holes.items()},
        )


def case_links(rows: Iterable[Row], *, clients: bool = False) -> None:
    """Each row's link to its case (and to its client), one `reverse` for the page."""
    case_url = url_for_each("case_detail")
    client_url = url_for_each("client_detail") if clients else None
    for row in rows:
        row["detail_url"] = case_url(row["id"])
        if client_url is not None:
            row["client_url"] = client_url(row["client_id"]) if row["client_id"] else ""


def logged_reads(rows: Iterable[Row]) -> list[CaseRead]:
    """The rows as the access log reads them."""
    return [CaseRead(row["id"], row["confidentiality"]) for row in rows]
