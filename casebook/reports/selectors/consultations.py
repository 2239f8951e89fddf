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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from django.db import connections, transaction
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Model,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone

from casebook.accounts.models import Desk, User
from casebook.common.days import start_of_day
from casebook.intake.models import Client, ConsultationSession, SessionMode, SessionSets, Topic
from casebook.reports import tallies
from casebook.reports.selectors.filters import ReportFilters, scoped
from casebook.satellites.models import Office


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
    return _narrowed(ConsultationSession.objects.all(), "pk", user=user, filters=filters)


def _narrowed(rows: QuerySet, session: str, *, user: User, filters: ReportFilters) -> QuerySet:
    """`rows` (sessions, or their `SessionSets`, whose session is `session`) of the sessions
    a report counts (`report_sessions`): both carry the session's instant, desk, office and
    mode under the same names."""
    rows = rows.filter(started_at__gte=filters.starts, started_at__lt=filters.ends)
    rows = scoped(rows, user=user, desk_field="desk_id", filters=filters)
    if filters.office is not None:
        rows = rows.filter(office_id=filters.office.pk)
    if filters.mode:
        rows = rows.filter(mode=filters.mode)
    if filters.counselor is not None:
        rows = rows.filter(
            **{
                f"{session}__in": ConsultationSession.counselors.through.objects.filter(
                    user_id=filters.counselor.pk
                ).values("consultationsession_id")
            }
        )
    if filters.topic is not None:
        rows = rows.filter(
            **{
                f"{session}__in": ConsultationSession.topics.through.objects.filter(
                    topic_id=filters.topic.pk
                ).values("consultationsession_id")
            }
        )
    return rows


def _month_key(value: dt.datetime | dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value.replace(day=1)


def _month_number(filters: ReportFilters) -> Case:
    """The month (1-12) of a session of the period, in local time, from the instants its months
    begin: a comparison of each session's instant with the year's 11 month boundaries (computed
    here, once) rather than a conversion of each instant to local time in the database
    (docs/performance.md, "The FY KPI report")."""
    months = filters.months()
    return Case(
        *(
            When(started_at__lt=start_of_day(following), then=Value(month.month))
            for month, following in pairwise(months)
        ),
        default=Value(months[-1].month),
        output_field=IntegerField(),
    )


@dataclass(frozen=True)
class SessionSet:
    """A session's many-to-many set (`field`: its topics or counselors) as a breakdown's key.

    On PostgreSQL the breakdown reads `rows`, the period's rows of `intake_session_sets`
    narrowed as the sessions are (`_narrowed`), and their copy of the set (`column`; migration
    `intake 0026_session_sets`): the period is one range of index `session_sets_started`,
    read once, instead of one probe of the many-to-many table's index per session of the
    period (docs/performance.md, "The FY KPI report", "A year's topics and counselors read
    as one range"). Other databases join the many-to-many table to the sessions.
    """

    field: str
    column: str
    rows: QuerySet[SessionSets] | None = None

    def per_client(self, sessions: QuerySet) -> tuple[str, tuple[Any, ...]]:
        """The SQL of the sessions counted per key of the set and client. A session with an
        empty set counts once under no key, as the many-to-many's outer join counts it."""
        if self.rows is None or connections[self.rows.db].vendor != "postgresql":
            per_client = (
                sessions.order_by()
                .values(group_key=F(self.field), group_client=F("client_id"))
                .annotate(n=Count("id"))
            )
            return per_client.query.sql_with_params()
        connection = connections[self.rows.db]
        column = ".".join(
            connection.ops.quote_name(name) for name in (SessionSets._meta.db_table, self.column)
        )
        # Counted per set and client first: a year has few distinct sets (one topic each
        # mostly), so the arrays are taken apart on those rows, not on each session's.
        per_set = (
            self.rows.order_by()
            .values(set_keys=RawSQL(column, ()), group_client=F("client_id"))
            .annotate(n=Count("session_id"))
        )
        sql, params = per_set.query.sql_with_params()
        return (
            "SELECT set_key AS group_key, group_client, SUM(n) AS n "
            f"FROM ({sql}) per_set LEFT JOIN LATERAL unnest(per_set.set_keys) AS set_key ON true "
            "GROUP BY set_key, group_client",
            params,
        )


def _per_key(
    sessions: QuerySet,
    key: Any,
    labels: tuple[type[Model], str, str] | None = None,
) -> list[tuple[Any, Any, int, int]]:
    """`(key, label, sessions, distinct clients)` for each key of `sessions`, in two steps:
    the sessions counted per key and client (one hash aggregate over the year), then those
    rows per key. A `COUNT(DISTINCT client)` per key sorted the year's sessions once for each
    breakdown instead (docs/performance.md, "The FY KPI report"). A session without a client
    (an anonymous case) counts as a session, not as a client.

    `labels` (model, key field, label field) names the row a key points to: it is joined
    to the few rows of the second step, not to each of the year's sessions.
    """
    if isinstance(key, SessionSet):
        sql, params = key.per_client(sessions)
    else:
        per_client = (
            sessions.order_by()
            .values(group_key=key, group_client=F("client_id"))
            .annotate(n=Count("id"))
        )
        sql, params = per_client.query.sql_with_params()
    per_key = (
        "SELECT group_key, SUM(n) AS total, COUNT(group_client) AS clients "
        f"FROM ({sql}) per_client GROUP BY group_key"
    )
    if labels is None:
        outer = f"SELECT group_key, '', total, clients FROM ({per_key}) per_key"
    else:
        model, key_field, label_field = labels
        connection = connections[sessions.db]
        table = connection.ops.quote_name(model._meta.db_table)
        pk, key_column, label_column = (
            connection.ops.quote_name(model._meta.get_field(name).column)
            for name in (model._meta.pk.name, key_field, label_field)
        )
        outer = (
            f"SELECT label.{key_column}, label.{label_column}, total, clients "
            f"FROM ({per_key}) per_key LEFT JOIN {table} label ON label.{pk} = group_key"
        )
    with connections[sessions.db].cursor() as cursor:
        cursor.execute(outer, params)
        return [(key, label, int(total), clients) for key, label, total, clients in cursor]


# The settings of the breakdowns' statements, on PostgreSQL (docs/performance.md, "The FY KPI
# report"): the join methods other than a nested loop off, so that the many-to-many tables
# are probed by session where a statement still joins them (the counselor and topic
# filters; the topic and counselor breakdowns read `intake_session_sets` instead); memory
# enough to count the year's sessions per key and client in one hash table (7 MB for a year
# of 105,000 sessions) rather than sort them on disk.
PLANNER_SETTINGS = {
    "enable_hashjoin": "off",
    "enable_mergejoin": "off",
    "work_mem": "32MB",
}


@contextmanager
def _planner_settings(using: str) -> Iterator[None]:
    """Run the breakdowns with `PLANNER_SETTINGS`, on PostgreSQL.

    Where a statement joins the year's sessions to a many-to-many table (a counselor or topic
    filter), probe its unique (session, key) index by session (an index-only scan): left to
    itself the planner hashes the whole table (a million rows on the decade, every year's
    pairs), a cost that follows the table where the probes' follows the year. The settings
    are local to the transaction (or savepoint) around the breakdowns and set back before it
    ends, so a caller's transaction does not keep them: 5 statements on PostgreSQL, none
    elsewhere.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    names = list(PLANNER_SETTINGS)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"current_setting('{name}')" for name in names))
        previous = cursor.fetchone()
        cursor.execute(
            "SELECT " + ", ".join(f"set_config('{name}', %s, true)" for name in names),
            [PLANNER_SETTINGS[name] for name in names],
        )
        yield
        cursor.execute(
            "SELECT " + ", ".join(f"set_config('{name}', %s, true)" for name in names),
            previous,
        )


def _grouped(rows: list[tuple[Any, Any, int, int]]) -> list[CountRow]:
    """The `(key, label, sessions, clients)` rows of a breakdown, the largest first; rows of
    as many sessions by their label, then their key (not in whatever order the database
    returned them)."""
    counted = [
        CountRow(
            key="" if group_key is None else str(group_key),
            label=group_label or "",
            total=total,
            unique_clients=clients,
        )
        for group_key, group_label, total, clients in rows
    ]
    return sorted(counted, key=lambda row: (-row.total, row.label, row.key))


def consultation_report(*, user: User, filters: ReportFilters) -> ConsultationReport:
    """The consultation count, unique and new clients, by month and by desk, office, mode,
    topic and counselor.

    On PostgreSQL, for every desk or one desk with no other filter, read from the counts
    kept as sessions are written (`_report_from_tallies`: 2 queries, whatever the number of
    sessions of the year); otherwise counted from the year's sessions
    (`_report_from_sessions`: 7 queries whatever the number of sessions, and, on PostgreSQL,
    the 5 statements of `_planner_settings`). Both give the same report
    (`tests/reports/test_session_tallies.py`)."""
    sessions = report_sessions(user=user, filters=filters)
    scope = tally_scope(user=user, filters=filters, using=sessions.db)
    if scope is not None:
        return _report_from_tallies(filters=filters, scope=scope, using=sessions.db)
    return _report_from_sessions(sessions, user=user, filters=filters)


def tally_scope(*, user: User, filters: ReportFilters, using: str) -> int | None:
    """The scope of the kept counts that hold the report's figures (`casebook.reports.tallies`):
    0 for every desk, a desk's id for that desk alone; None where the report counts its
    sessions: on another database, with a filter other than the desk (the counts are kept
    per desk only), for a login reading several desks but not every desk."""
    from casebook.reports import policy

    if connections[using].vendor != "postgresql":
        return None
    if filters.office is not None or filters.mode:
        return None
    if filters.counselor is not None or filters.topic is not None:
        return None
    desk_ids = policy.report_desk_ids(user)
    if filters.desk is not None:
        if desk_ids is not None and filters.desk.pk not in desk_ids:
            return None
        return filters.desk.pk
    if desk_ids is None:
        return 0
    if len(desk_ids) == 1:
        return next(iter(desk_ids))
    return None


def _report_from_tallies(*, filters: ReportFilters, scope: int, using: str) -> ConsultationReport:
    """The report read from the counts kept for `scope` (`casebook.reports.tallies`): the
    year's rows of `reports_session_tally` with the labels their keys point to, then the
    year's new clients, one range of `client_first_session_started` (for a desk, those with
    a session of the desk in the year). Two queries; neither reads a session."""
    report = ConsultationReport(filters=filters)
    months = {month: MonthRow(month=month) for month in filters.months()}
    rows_by_number = {row.month.month: row for row in months.values()}
    connection = connections[using]
    table = {
        name: connection.ops.quote_name(model._meta.db_table)
        for name, model in (("desk", Desk), ("office", Office), ("topic", Topic), ("user", User))
    }
    by_kind: dict[int, list[tuple[Any, Any, int, int]]] = {
        kind: [] for kind in (tallies.OFFICE, tallies.MODE, tallies.TOPIC, tallies.COUNSELOR)
    }
    by_desk: list[tuple[Any, Any, int, int]] = []
    new_clients = (
        "SELECT f.started_at FROM reports_client_first_session f "
        "WHERE f.started_at >= %s AND f.started_at < %s"
    )
    new_params: list[Any] = [filters.starts, filters.ends]
    if scope:
        new_clients += (
            " AND EXISTS (SELECT 1 FROM reports_session_tally_client t "
            "WHERE t.fiscal_year = %s AND t.scope = %s AND t.kind = %s AND t.key = '' "
            "AND t.client_id = f.client_id AND t.sessions > 0)"
        )
        new_params += [filters.fiscal_year, scope, tallies.YEAR]
    with connection.cursor() as cursor:
        # The desks' rows are the year rows of the desks' scopes (every desk's, or the one's).
        cursor.execute(
            "SELECT t.kind, t.scope, t.key, t.sessions, t.clients, "
            "COALESCE(d.code, o.code, tp.code, u.id::text), "
            "COALESCE(d.name, o.name, tp.name, u.display_name) "
            "FROM reports_session_tally t "
            f"LEFT JOIN {table['desk']} d ON t.kind = %s AND t.scope <> 0 AND d.id = t.scope "
            f"LEFT JOIN {table['office']} o ON t.kind = %s AND o.id::text = t.key "
            f"LEFT JOIN {table['topic']} tp ON t.kind = %s AND tp.code = t.key "
            f"LEFT JOIN {table['user']} u ON t.kind = %s AND u.id::text = t.key "
            "WHERE t.fiscal_year = %s AND t.sessions > 0 "
            "AND (t.scope = %s OR (%s = 0 AND t.kind = %s AND t.scope <> 0))",
            [
                tallies.YEAR,
                tallies.OFFICE,
                tallies.TOPIC,
                tallies.COUNSELOR,
                filters.fiscal_year,
                scope,
                scope,
                tallies.YEAR,
            ],
        )
        for kind, row_scope, key, sessions, clients, label_key, label in cursor:
            if kind == tallies.YEAR:
                if row_scope == scope:
                    report.total, report.unique_clients = sessions, clients
                if row_scope:
                    by_desk.append((label_key, label, sessions, clients))
            elif kind == tallies.MONTH:
                rows_by_number[int(key)].total = sessions
                rows_by_number[int(key)].unique_clients = clients
            elif kind == tallies.MODE:
                by_kind[kind].append((key, key, sessions, clients))
            else:
                by_kind[kind].append((label_key, label, sessions, clients))
        cursor.execute(new_clients, new_params)
        for (first,) in cursor:
            months[_month_key(first)].new_clients += 1
            report.new_clients += 1
    report.by_month = list(months.values())
    report.by_desk = _grouped(by_desk)
    report.by_office = _grouped(by_kind[tallies.OFFICE])
    report.by_mode = _modes_grouped(by_kind[tallies.MODE])
    report.by_topic = _grouped(by_kind[tallies.TOPIC])
    report.by_counselor = _grouped(by_kind[tallies.COUNSELOR])
    return report


def _modes_grouped(rows: list[tuple[Any, Any, int, int]]) -> list[CountRow]:
    """The mode breakdown's rows, each labelled by its choice's label before the rows are
    ordered by it."""
    mode_labels = dict(SessionMode.choices)
    return _grouped(
        [
            (key, str(mode_labels.get(key, "" if key is None else key)), total, clients)
            for key, _label, total, clients in rows
        ]
    )


def _report_from_sessions(
    sessions: QuerySet[ConsultationSession], *, user: User, filters: ReportFilters
) -> ConsultationReport:
    """The report counted from the year's sessions (`report_sessions`)."""
    report = ConsultationReport(filters=filters)
    months = {month: MonthRow(month=month) for month in filters.months()}

    # A client is new in the period when its first session ever (any desk, any filter) lies
    # in it. Each client of the period's sessions is looked up once: its first session is
    # the first entry of index `session_client_started` (each session carries its case's
    # client), not a minimum over every session of every client, nor an anti-join per
    # session of the period (docs/performance.md, "The FY KPI report"). The clients are
    # counted by that first session when it is new and together otherwise: one row for the
    # clients who are not new, one for each new client's first session, and the unique
    # clients are their sum (no query of their own).
    first_ever = Subquery(
        ConsultationSession.objects.filter(client_id=OuterRef("pk"))
        .order_by("started_at")
        .values("started_at")[:1]
    )
    clients = (
        Client.objects.filter(pk__in=sessions.values("client_id"))
        .order_by()
        .annotate(
            new_first=Case(When(GreaterThanOrEqual(first_ever, filters.starts), then=first_ever))
        )
        .values("new_first")
        .annotate(n=Count("pk"))
        .values_list("new_first", "n")
    )
    for first, count in clients:
        report.unique_clients += count
        if first is not None:
            months[_month_key(first)].new_clients += count
            report.new_clients += count
    report.by_month = list(months.values())

    # Each breakdown is grouped by the session's own column (the copy of its case's desk,
    # its office, its mode; the month from its instant) or by the many-to-many's: the labels
    # are joined to the grouped rows, not to each session.
    sets = (
        _narrowed(SessionSets.objects.using(sessions.db), "session_id", user=user, filters=filters)
        if connections[sessions.db].vendor == "postgresql"
        else None
    )
    with _planner_settings(sessions.db):
        by_number = _per_key(sessions, _month_number(filters))
        by_desk = _per_key(sessions, F("desk_id"), (Desk, "code", "name"))
        by_office = _per_key(sessions, F("office_id"), (Office, "code", "name"))
        by_mode = _per_key(sessions, F("mode"))
        by_topic = _per_key(
            sessions, SessionSet("topics", "topic_ids", sets), (Topic, "code", "name")
        )
        by_counselor = _per_key(
            sessions,
            SessionSet("counselors", "counselor_ids", sets),
            (User, "id", "display_name"),
        )
    # The month as its number (1-12): each falls once in a fiscal year.
    rows_by_number = {row.month.month: row for row in months.values()}
    for number, _label, total, clients in by_number:
        rows_by_number[int(number)].total = total
        rows_by_number[int(number)].unique_clients = clients
        report.total += total
    report.by_desk = _grouped(by_desk)
    report.by_office = _grouped(by_office)
    report.by_mode = _modes_grouped(by_mode)
    report.by_topic = _grouped(by_topic)
    report.by_counselor = _grouped(by_counselor)
    return report
