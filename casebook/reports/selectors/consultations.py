"""The consultation count (相談対応件数) and its unique and new clients (DESIGN §11 as
docs/reports.md, "Consultations" states it), from the raw sessions in a few aggregate queries.

- consultation count: the sessions started in the period;
- unique clients: the distinct clients of those sessions (an anonymous case has none);
- new clients: those of the clients whose first session ever (any desk, any filter) falls in
  the period, counted in the month of that first session.

Restricted cases are counted like any other; nothing here names or links a case.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import connections
from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import ExtractMonth
from django.utils import timezone

from casebook.intake.models import Client, ConsultationSession, SessionMode
from casebook.reports.selectors.filters import ReportFilters, scoped

if TYPE_CHECKING:
    from casebook.accounts.models import User


@dataclass
class CountRow:
    key: str
    label: str
    total: int = 0
    unique_clients: int = 0
    new_clients: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "total": self.total,
            "unique_clients": self.unique_clients,
        }


@dataclass
class MonthRow:
    month: dt.date
    total: int = 0
    unique_clients: int = 0
    new_clients: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "month": self.month.strftime("%Y-%m"),
            "total": self.total,
            "unique_clients": self.unique_clients,
            "new_clients": self.new_clients,
        }


@dataclass
class ConsultationReport:
    filters: ReportFilters
    total: int = 0
    unique_clients: int = 0
    new_clients: int = 0
    by_month: list[MonthRow] = field(default_factory=list)
    by_desk: list[CountRow] = field(default_factory=list)
    by_office: list[CountRow] = field(default_factory=list)
    by_mode: list[CountRow] = field(default_factory=list)
    by_topic: list[CountRow] = field(default_factory=list)
    by_counselor: list[CountRow] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "fiscal_year": self.filters.fiscal_year,
            "fiscal_year_label": self.filters.label,
            "total": self.total,
            "unique_clients": self.unique_clients,
            "new_clients": self.new_clients,
            "by_month": [row.as_dict() for row in self.by_month],
            **{
                name: [row.as_dict() for row in getattr(self, name)]
                for name in ("by_desk", "by_office", "by_mode", "by_topic", "by_counselor")
            },
        }


def report_sessions(*, user: User, filters: ReportFilters) -> QuerySet[ConsultationSession]:
    """The sessions a report counts: started in the fiscal year, of the desks `user` reads
    figures of, narrowed by the filters."""
    sessions = ConsultationSession.objects.filter(
        started_at__gte=filters.starts, started_at__lt=filters.ends
    )
    sessions = scoped(sessions, user=user, desk_field="desk_id", filters=filters)
    if filters.office is not None:
        sessions = sessions.filter(office_id=filters.office.pk)
    if filters.mode:
        sessions = sessions.filter(mode=filters.mode)
    if filters.counselor is not None:
        sessions = sessions.filter(
            pk__in=ConsultationSession.counselors.through.objects.filter(
                user_id=filters.counselor.pk
            ).values("consultationsession_id")
        )
    if filters.topic is not None:
        sessions = sessions.filter(
            pk__in=ConsultationSession.topics.through.objects.filter(
                topic_id=filters.topic.pk
            ).values("consultationsession_id")
        )
    return sessions


def _month_key(value: dt.datetime | dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value.replace(day=1)


def _per_key(sessions: QuerySet, key: Any, label: Any) -> list[tuple[Any, Any, int, int]]:
    """`(key, label, sessions, distinct clients)` for each key of `sessions`, in two steps:
    the sessions counted per key and client (one hash aggregate over the year), then those
    rows per key. A `COUNT(DISTINCT client)` per key sorted the year's sessions once for each
    breakdown instead (docs/performance.md, "The FY KPI report"). A session without a client
    (an anonymous case) counts as a session, not as a client."""
    per_client = (
        sessions.order_by()
        .values(group_key=key, group_label=label, group_client=F("client_id"))
        .annotate(n=Count("id"))
    )
    sql, params = per_client.query.sql_with_params()
    with connections[sessions.db].cursor() as cursor:
        cursor.execute(
            "SELECT group_key, group_label, SUM(n), COUNT(group_client) "
            f"FROM ({sql}) per_client GROUP BY group_key, group_label",
            params,
        )
        return [(key, label, int(total), clients) for key, label, total, clients in cursor]


def _grouped(sessions: QuerySet, key: str, label: str) -> list[CountRow]:
    rows = [
        CountRow(
            key="" if group_key is None else str(group_key),
            label=group_label or "",
            total=total,
            unique_clients=clients,
        )
        for group_key, group_label, total, clients in _per_key(sessions, F(key), F(label))
    ]
    return sorted(rows, key=lambda row: (-row.total, row.label))


def consultation_report(*, user: User, filters: ReportFilters) -> ConsultationReport:
    """The consultation count, unique and new clients, by month and by desk, office, mode,
    topic and counselor: 8 queries whatever the number of sessions."""
    sessions = report_sessions(user=user, filters=filters)
    report = ConsultationReport(filters=filters)
    months = {month: MonthRow(month=month) for month in filters.months()}

    totals = sessions.aggregate(total=Count("id"), unique_clients=Count("client_id", distinct=True))
    report.total = totals["total"]
    report.unique_clients = totals["unique_clients"]

    # The month as its number (1-12, local time): each falls once in a fiscal year.
    by_number = {row.month.month: row for row in months.values()}
    for number, _label, total, clients in _per_key(sessions, ExtractMonth("started_at"), Value("")):
        by_number[int(number)].total = total
        by_number[int(number)].unique_clients = clients

    # A client is new in the period when its first session ever (any desk, any filter) lies
    # in it. Each client of the period's sessions is looked up once: its first session is
    # the first entry of index `session_client_started` (each session carries its case's
    # client), not a minimum over every session of every client, nor an anti-join per
    # session of the period (docs/performance.md, "The FY KPI report").
    first_ever = (
        ConsultationSession.objects.filter(client_id=OuterRef("pk"))
        .order_by("started_at")
        .values("started_at")[:1]
    )
    new_firsts = (
        Client.objects.filter(pk__in=sessions.values("client_id"))
        .order_by()
        .annotate(first=Subquery(first_ever))
        .filter(first__gte=filters.starts)
        .values_list("first", flat=True)
    )
    for first in new_firsts:
        months[_month_key(first)].new_clients += 1
        report.new_clients += 1
    report.by_month = list(months.values())

    report.by_desk = _grouped(sessions, "desk__code", "desk__name")
    report.by_office = _grouped(sessions, "office__code", "office__name")
    mode_labels = dict(SessionMode.choices)
    report.by_mode = _grouped(sessions, "mode", "mode")
    for row in report.by_mode:
        row.label = str(mode_labels.get(row.key, row.key))
    report.by_topic = _grouped(sessions, "topics__code", "topics__name")
    report.by_counselor = _grouped(sessions, "counselors__pk", "counselors__display_name")
    return report
