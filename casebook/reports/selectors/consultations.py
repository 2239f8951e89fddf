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

from django.db.models import Count, Exists, F, Min, OuterRef, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from casebook.intake.models import ConsultationSession, SessionMode
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


def _grouped(sessions: QuerySet, key: str, label: str) -> list[CountRow]:
    rows = (
        sessions.order_by()
        .values(group_key=F(key), group_label=F(label))
        .annotate(
            total=Count("id", distinct=True),
            unique_clients=Count("client_id", distinct=True),
        )
        .order_by("-total", "group_label")
    )
    return [
        CountRow(
            key="" if row["group_key"] is None else str(row["group_key"]),
            label=row["group_label"] or "",
            total=row["total"],
            unique_clients=row["unique_clients"],
        )
        for row in rows
    ]


def consultation_report(*, user: User, filters: ReportFilters) -> ConsultationReport:
    """The consultation count, unique and new clients, by month and by desk, office, mode,
    topic and counselor: 8 queries whatever the number of sessions."""
    sessions = report_sessions(user=user, filters=filters)
    report = ConsultationReport(filters=filters)
    months = {month: MonthRow(month=month) for month in filters.months()}

    totals = sessions.aggregate(total=Count("id"), unique_clients=Count("client_id", distinct=True))
    report.total = totals["total"]
    report.unique_clients = totals["unique_clients"]

    per_month = (
        sessions.annotate(month=TruncMonth("started_at"))
        .order_by()
        .values("month")
        .annotate(total=Count("id"), unique_clients=Count("client_id", distinct=True))
    )
    for row in per_month:
        month = months[_month_key(row["month"])]
        month.total = row["total"]
        month.unique_clients = row["unique_clients"]

    # A client is new in the period when it has a session in it and none before it (any
    # desk, any filter): its first session ever is then its first of the period. The
    # "none before" test is an anti-join on the client's sessions ordered by time (each
    # session carries its case's client; index `session_client_started`), not a minimum over
    # every session of every client (docs/performance.md, "The FY KPI report").
    earlier = ConsultationSession.objects.filter(
        client_id=OuterRef("client_id"), started_at__lt=filters.starts
    )
    new_firsts = (
        ConsultationSession.objects.filter(
            started_at__gte=filters.starts,
            started_at__lt=filters.ends,
            client_id__in=sessions.values("client_id"),
        )
        .filter(~Exists(earlier))
        .order_by()
        .values("client_id")
        .annotate(first=Min("started_at"))
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
