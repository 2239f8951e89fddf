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
    """The `(key, label, sessions, clients)` rows of a breakdown, the largest first; rows
    of as many sessions by their label, then their key (not in the order a statement
    happened to return them)."""
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


@dataclass
class Figures:
    """A report's counts before they are laid out: `(key, label, sessions, distinct clients)`
    per key of each breakdown (the month as its number, 1-12), the distinct clients of the
    period, and its new clients per month number."""

    unique_clients: int = 0
    new_clients: dict[int, int] = field(default_factory=dict)
    by_number: list[tuple[Any, Any, int, int]] = field(default_factory=list)
    by_desk: list[tuple[Any, Any, int, int]] = field(default_factory=list)
    by_office: list[tuple[Any, Any, int, int]] = field(default_factory=list)
    by_mode: list[tuple[Any, Any, int, int]] = field(default_factory=list)
    by_topic: list[tuple[Any, Any, int, int]] = field(default_factory=list)
    by_counselor: list[tuple[Any, Any, int, int]] = field(default_factory=list)


def figures_per_query(
    *, sessions: QuerySet[ConsultationSession], filters: ReportFilters
) -> Figures:
    """The figures of `sessions` (`report_sessions`) in 7 queries, each breakdown on its own,
    the topics and counselors through the many-to-many tables: the report on databases
    other than PostgreSQL, and the reference the one pass is tested against."""
    figures = Figures()
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
        Client.objects.using(sessions.db)
        .filter(pk__in=sessions.values("client_id"))
        .order_by()
        .annotate(
            new_first=Case(When(GreaterThanOrEqual(first_ever, filters.starts), then=first_ever))
        )
        .values("new_first")
        .annotate(n=Count("pk"))
        .values_list("new_first", "n")
    )
    for first, count in clients:
        figures.unique_clients += count
        if first is not None:
            number = _month_key(first).month
            figures.new_clients[number] = figures.new_clients.get(number, 0) + count

    # Each breakdown is grouped by the session's own column (the copy of its case's desk,
    # its office, its mode; the month from its instant) or by the many-to-many's: the labels
    # are joined to the grouped rows, not to each session.
    figures.by_number = _per_key(sessions, _month_number(filters))
    figures.by_desk = _per_key(sessions, F("desk_id"), (Desk, "code", "name"))
    figures.by_office = _per_key(sessions, F("office_id"), (Office, "code", "name"))
    figures.by_mode = _per_key(sessions, F("mode"))
    figures.by_topic = _per_key(sessions, F("topics"), (Topic, "code", "name"))
    figures.by_counselor = _per_key(sessions, F("counselors"), (User, "id", "display_name"))
    return figures


def _month_number_sql(column: str, filters: ReportFilters) -> tuple[str, list[dt.datetime]]:
    """`_month_number` as SQL over the instant `column`, for a statement written here."""
    boundaries = [start_of_day(following) for _month, following in pairwise(filters.months())]
    whens = " ".join(
        f"WHEN {column} < %s THEN {month.month}" for month, _following in pairwise(filters.months())
    )
    return f"CASE {whens} ELSE {filters.months()[-1].month} END", boundaries


# The one pass (`figures_in_one_pass`). `{rows}`: the period's rows of `intake_session_sets`
# with their month number; `{first_month}`: the month number of a client's first session.
ONE_PASS = """
WITH per_client AS (
    SELECT CASE WHEN GROUPING(month) = 0 THEN 'month' WHEN GROUPING(desk_id) = 0 THEN 'desk'
            WHEN GROUPING(office_id) = 0 THEN 'office' WHEN GROUPING(mode) = 0 THEN 'mode'
            WHEN GROUPING(topic_ids) = 0 THEN 'topic'
            WHEN GROUPING(counselor_ids) = 0 THEN 'counselor' ELSE 'client' END AS kind,
        month, desk_id, office_id, mode, topic_ids, counselor_ids, client_id, COUNT(*) AS n
    FROM ({rows}) session_rows
    GROUP BY GROUPING SETS ((month, client_id), (desk_id, client_id), (office_id, client_id),
        (mode, client_id), (topic_ids, client_id), (counselor_ids, client_id), (client_id))
),
per_key_client AS (
    SELECT kind, month, desk_id, office_id, mode,
        NULL::varchar AS topic_id, NULL::bigint AS counselor_id, client_id, n
    FROM per_client WHERE kind NOT IN ('topic', 'counselor')
    UNION ALL
    SELECT kind, NULL, NULL, NULL, NULL, topic_id, NULL, client_id, SUM(n)
    FROM per_client LEFT JOIN LATERAL unnest(per_client.topic_ids) AS topic_id ON true
    WHERE kind = 'topic' GROUP BY kind, topic_id, client_id
    UNION ALL
    SELECT kind, NULL, NULL, NULL, NULL, NULL, counselor_id, client_id, SUM(n)
    FROM per_client LEFT JOIN LATERAL unnest(per_client.counselor_ids) AS counselor_id ON true
    WHERE kind = 'counselor' GROUP BY kind, counselor_id, client_id
),
per_key AS (
    SELECT kind, month, desk_id, office_id, mode, topic_id, counselor_id,
        SUM(n) AS total, COUNT(client_id) AS clients
    FROM per_key_client
    GROUP BY kind, month, desk_id, office_id, mode, topic_id, counselor_id
)
SELECT per_key.kind,
    CASE per_key.kind WHEN 'month' THEN per_key.month::text WHEN 'desk' THEN desk.{desk_key}
        WHEN 'office' THEN office.{office_key} WHEN 'mode' THEN per_key.mode
        WHEN 'topic' THEN topic.{topic_key} WHEN 'counselor' THEN counselor.{user_key}::text END,
    CASE per_key.kind WHEN 'desk' THEN desk.{desk_label} WHEN 'office' THEN office.{office_label}
        WHEN 'topic' THEN topic.{topic_label} WHEN 'counselor' THEN counselor.{user_label} END,
    total, clients
FROM per_key
LEFT JOIN {desk_table} desk ON desk.{desk_pk} = per_key.desk_id
LEFT JOIN {office_table} office ON office.{office_pk} = per_key.office_id
LEFT JOIN {topic_table} topic ON topic.{topic_pk} = per_key.topic_id
LEFT JOIN {user_table} counselor ON counselor.{user_pk} = per_key.counselor_id
UNION ALL
SELECT 'new', month::text, NULL, COUNT(*), NULL FROM (
    SELECT CASE WHEN first_ever.started_at >= %s THEN {first_month} END AS month
    FROM per_client CROSS JOIN LATERAL (
        SELECT started_at FROM {sessions_table} session
        WHERE session.client_id = per_client.client_id ORDER BY started_at LIMIT 1
    ) first_ever
    WHERE per_client.kind = 'client' AND per_client.client_id IS NOT NULL
) firsts WHERE month IS NOT NULL GROUP BY month
"""


def figures_in_one_pass(*, sets: QuerySet[SessionSets], filters: ReportFilters) -> Figures:
    """The figures of `sets` (the period's rows of `intake_session_sets`, narrowed as the
    sessions are: `_narrowed`) in one statement, on PostgreSQL: the period is read once, one
    range of index `session_sets_started`, and counted per client by month, desk, office,
    mode, topic set, counselor set and alone (`GROUPING SETS`), instead of once for each
    breakdown and once more for the clients (docs/performance.md, "The FY KPI report",
    "The year read once").

    The steps are those of `figures_per_query`: the sessions per key and client, then per
    key (a set's arrays taken apart on its rows per set and client: a session with an empty
    set counts once under no key, as the many-to-many's outer join counts it); the labels
    joined to the grouped rows; each of the period's clients looked up once in index
    `session_client_started` for its first session ever, new when that lies in the period.
    """
    connection = connections[sets.db]
    quote = connection.ops.quote_name
    table = quote(SessionSets._meta.db_table)
    rows_sql, rows_params = (
        sets.order_by()
        .values(
            "desk_id",
            "office_id",
            "mode",
            "client_id",
            month=_month_number(filters),
            topic_ids=RawSQL(f"{table}.topic_ids", ()),
            counselor_ids=RawSQL(f"{table}.counselor_ids", ()),
        )
        .query.sql_with_params()
    )
    first_month_sql, first_month_params = _month_number_sql("first_ever.started_at", filters)
    names: dict[str, str] = {}
    for prefix, model, key_field, label_field in (
        ("desk", Desk, "code", "name"),
        ("office", Office, "code", "name"),
        ("topic", Topic, "code", "name"),
        ("user", User, "id", "display_name"),
    ):
        names[f"{prefix}_table"] = quote(model._meta.db_table)
        for part, field_name in (
            ("pk", model._meta.pk.name),
            ("key", key_field),
            ("label", label_field),
        ):
            names[f"{prefix}_{part}"] = quote(model._meta.get_field(field_name).column)
    statement = ONE_PASS.format(
        rows=rows_sql,
        first_month=first_month_sql,
        sessions_table=quote(ConsultationSession._meta.db_table),
        **names,
    )
    figures = Figures()
    breakdowns = {
        "month": figures.by_number,
        "desk": figures.by_desk,
        "office": figures.by_office,
        "mode": figures.by_mode,
        "topic": figures.by_topic,
        "counselor": figures.by_counselor,
    }
    with connection.cursor() as cursor:
        cursor.execute(statement, [*rows_params, filters.starts, *first_month_params])
        for kind, key, label, total, clients in cursor:
            if kind == "new":
                figures.new_clients[int(key)] = int(total)
            elif kind == "client":
                figures.unique_clients = clients
            else:
                breakdowns[kind].append((key, label, int(total), clients))
    return figures


def consultation_report(*, user: User, filters: ReportFilters) -> ConsultationReport:
    """The consultation count, unique and new clients, by month and by desk, office, mode,
    topic and counselor: on PostgreSQL one statement (`figures_in_one_pass`, and the 5
    statements of `_planner_settings`), elsewhere 7 queries (`figures_per_query`), whatever
    the number of sessions."""
    sessions = report_sessions(user=user, filters=filters)
    if connections[sessions.db].vendor == "postgresql":
        sets = _narrowed(
            SessionSets.objects.using(sessions.db), "session_id", user=user, filters=filters
        )
        with _planner_settings(sessions.db):
            figures = figures_in_one_pass(sets=sets, filters=filters)
    else:
        figures = figures_per_query(sessions=sessions, filters=filters)
    return laid_out(figures, filters=filters)


def laid_out(figures: Figures, *, filters: ReportFilters) -> ConsultationReport:
    """The report of `figures`: the months April to March, each breakdown the largest first."""
    report = ConsultationReport(filters=filters)
    report.unique_clients = figures.unique_clients
    report.by_month = [MonthRow(month=month) for month in filters.months()]
    # The month as its number (1-12): each falls once in a fiscal year.
    rows_by_number = {row.month.month: row for row in report.by_month}
    for number, count in figures.new_clients.items():
        rows_by_number[number].new_clients = count
        report.new_clients += count
    for number, _label, total, clients in figures.by_number:
        rows_by_number[int(number)].total = total
        rows_by_number[int(number)].unique_clients = clients
        report.total += total
    report.by_desk = _grouped(figures.by_desk)
    report.by_office = _grouped(figures.by_office)
    mode_labels = dict(SessionMode.choices)
    report.by_mode = _grouped(
        [
            (mode, str(mode_labels.get(mode, mode or "")), total, clients)
            for mode, _label, total, clients in figures.by_mode
        ]
    )
    report.by_topic = _grouped(figures.by_topic)
    report.by_counselor = _grouped(figures.by_counselor)
    return report
