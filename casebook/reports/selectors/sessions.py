"""The row-by-row export of a fiscal year of sessions (docs/reports.md, "The session
export"): the same sessions as the consultation count, read in chunks of plain values so that
memory and time stay flat per row whatever the year holds.

A session of a restricted case is exported as a counted row that names nothing: the rows
come out of here with its case, client, counselors, topics and summary already blank
(`policy.names_case`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TYPE_CHECKING, NamedTuple

from casebook.common.lookups import in_ids
from casebook.intake import policy as case_policy
from casebook.intake.models import Case, ConsultationSession
from casebook.reports import policy
from casebook.reports.selectors.consultations import report_sessions
from casebook.reports.selectors.filters import ReportFilters

if TYPE_CHECKING:
    from casebook.accounts.models import User

# Rows read per round trip; each chunk costs two more queries (its counselors, its topics),
# so an export is 2 + 2 × rows / CHUNK_SIZE queries and never one per row.
CHUNK_SIZE = 2000

_FIELDS = (
    "id",
    "started_at",
    "duration_minutes",
    "mode",
    "summary",
    "office__name",
    "case__number",
    "case__title",
    "case__confidentiality",
    "case__desk__name",
    "case__client__name",
)


class SessionRow(NamedTuple):
    """A session as the export writes it. A tuple, not a frozen dataclass: a year holds
    100,000 of them, and a frozen dataclass sets each field through `object.__setattr__`
    (docs/performance.md, "The session export")."""

    started_at: dt.datetime
    desk: str
    office: str
    mode: str
    minutes: int
    restricted: bool
    case_number: str
    case_title: str
    client: str
    counselors: tuple[str, ...]
    topics: tuple[str, ...]
    summary: str


# What a restricted case's row holds in place of its case number, title, client,
# counselors, topics and summary: nothing (`policy.names_case`).
_UNNAMED = ("", "", "", (), (), "")


def _names(pairs: Iterable[tuple[int, str]]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = defaultdict(list)
    for session_id, name in pairs:
        names[session_id].append(name)
    return names


def session_export_rows(
    *, user: User, filters: ReportFilters, chunk_size: int = CHUNK_SIZE
) -> Iterator[SessionRow]:
    """The sessions of the report, oldest first, as plain rows: their case, desk, client and
    office joined, their counselors and topics read once per chunk."""
    values = (
        report_sessions(user=user, filters=filters)
        .order_by("started_at", "id")
        .values_list(*_FIELDS)
        .iterator(chunk_size=chunk_size)
    )
    counselors_of = ConsultationSession.counselors.through.objects
    topics_of = ConsultationSession.topics.through.objects
    # The rule is asked once per confidentiality level, not once per row.
    naming: dict[str, bool] = {}
    while chunk := list(islice(values, chunk_size)):
        # The chunk's ids as one array parameter (`in_ids`): an `IN` list of 2,000
        # placeholders cost more Python than the rows it read (docs/performance.md,
        # "The session export").
        ids = [row[0] for row in chunk]
        counselors = _names(
            counselors_of.filter(in_ids("consultationsession__id", ids))
            .order_by("user__display_name", "user_id")
            .values_list("consultationsession_id", "user__display_name")
        )
        topics = _names(
            topics_of.filter(in_ids("consultationsession__id", ids))
            .order_by("topic__sort_order", "topic_id")
            .values_list("consultationsession_id", "topic__name")
        )
        for pk, at, minutes, mode, summary, office, number, title, level, desk, client in chunk:
            named = naming.get(level)
            if named is None:
                named = naming[level] = policy.names_case(level)
            if named:
                yield SessionRow(
                    at,
                    desk,
                    office or "",
                    mode,
                    minutes,
                    False,
                    number,
                    title,
                    client or "",
                    tuple(counselors.get(pk, ())),
                    tuple(topics.get(pk, ())),
                    summary,
                )
            else:
                yield SessionRow(at, desk, office or "", mode, minutes, True, *_UNNAMED)


def session_export_restricted_cases(*, user: User, filters: ReportFilters) -> list[Case]:
    """The restricted cases whose sessions the export counts and the reader may open (for
    the access log). A reader who may not open them (an auditor) gets their rows unnamed, as
    every report's totals count them: no access to log (tests/exits/test_leaks.py)."""
    return list(
        Case.objects.filter(
            case_policy.restricted_q(),
            case_policy.visible_cases_q(user),
            pk__in=report_sessions(user=user, filters=filters).values("case_id"),
        ).only("id", "confidentiality")
    )
