"""The report's kept counts (`casebook.reports.tallies`, `casebook.reports.case_tallies`) as
Python computes them from the sessions and cases through the ORM, and as PostgreSQL keeps
them: the tests of every writer of sessions and cases compare the two
(`tests/intake/test_session_sets.py`, `tests/reports/test_case_tallies.py`)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from django.db import connection
from django.utils import timezone

from casebook.intake.models import Case, CaseTransition, ConsultationSession
from casebook.reports import case_tallies, tallies

# (fiscal year, scope, kind, key) -> client -> sessions; None: an anonymous session
Counts = dict[tuple[int, int, int, str], Counter]


def _keys(session: ConsultationSession, topics: list[str], counselors: list[int]) -> list:
    local = timezone.localtime(session.started_at)
    fiscal_year = local.year if local.month >= 4 else local.year - 1
    kinds = [
        (tallies.YEAR, ""),
        (tallies.MONTH, str(local.month)),
        (tallies.OFFICE, "" if session.office_id is None else str(session.office_id)),
        (tallies.MODE, session.mode),
        *((tallies.TOPIC, topic) for topic in (topics or [""])),
        *((tallies.COUNSELOR, str(user)) for user in (counselors or [""])),
    ]
    return [
        (fiscal_year, scope, kind, key) for scope in (0, session.desk_id) for kind, key in kinds
    ]


def expected() -> tuple[set[tuple], set[tuple], set[tuple]]:
    """(per-client rows, per-key rows, first sessions) as the ORM's sessions give them."""
    topics: dict[int, list[str]] = defaultdict(list)
    for session_id, code in ConsultationSession.topics.through.objects.values_list(
        "consultationsession_id", "topic_id"
    ):
        topics[session_id].append(code)
    counselors: dict[int, list[int]] = defaultdict(list)
    for session_id, user_id in ConsultationSession.counselors.through.objects.values_list(
        "consultationsession_id", "user_id"
    ):
        counselors[session_id].append(user_id)
    counts: Counts = defaultdict(Counter)
    firsts: dict[int, dt.datetime] = {}
    for session in ConsultationSession.objects.only(
        "started_at", "desk_id", "client_id", "mode", "office_id"
    ):
        for key in _keys(session, topics[session.pk], counselors[session.pk]):
            counts[key][session.client_id] += 1
        if session.client_id is not None:
            first = firsts.get(session.client_id)
            firsts[session.client_id] = min(first or session.started_at, session.started_at)
    per_client = {
        (*key, client, n)
        for key, clients in counts.items()
        for client, n in clients.items()
        if client is not None
    }
    per_key = {
        (*key, sum(clients.values()), len([c for c in clients if c is not None]))
        for key, clients in counts.items()
    }
    return per_client, per_key, set(firsts.items())


def stored() -> tuple[set[tuple], set[tuple], set[tuple]]:
    """The same, as PostgreSQL keeps them (the rows whose count is above 0)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT fiscal_year, scope, kind, key, client_id, sessions "
            "FROM reports_session_tally_client WHERE sessions > 0"
        )
        per_client = set(cursor.fetchall())
        cursor.execute(
            "SELECT fiscal_year, scope, kind, key, sessions, clients "
            "FROM reports_session_tally WHERE sessions > 0"
        )
        per_key = set(cursor.fetchall())
        cursor.execute("SELECT client_id, started_at FROM reports_client_first_session")
        firsts = set(cursor.fetchall())
    return per_client, per_key, firsts


def _fiscal_year_and_month(instant: dt.datetime) -> tuple[int, int]:
    local = timezone.localtime(instant)
    return (local.year if local.month >= 4 else local.year - 1), local.month


def expected_cases() -> Counter:
    """(fiscal year, scope, kind, key) -> cases, as the ORM's cases and close transitions give
    them."""
    closes: dict[int, list[tuple[dt.datetime, str]]] = defaultdict(list)
    changed: set[int] = set()
    for case_id, action, at, reason in CaseTransition.objects.filter(
        action__in=("close", "reopen")
    ).values_list("case_id", "action", "at", "closure_reason"):
        changed.add(case_id)
        if action == "close":
            closes[case_id].append((at, reason))
    counts: Counter = Counter()
    for case in Case.objects.only(
        "desk_id", "opened_at", "first_session_at", "closed_at", "closure_reason"
    ):
        fiscal_year, month = _fiscal_year_and_month(case.opened_at)
        keys = [(fiscal_year, case_tallies.OPENED, str(month))]
        if case.first_session_at is not None:
            days = (
                timezone.localtime(case.first_session_at).date()
                - timezone.localtime(case.opened_at).date()
            ).days
            keys.append((fiscal_year, case_tallies.WAITED, str(days)))
        closures = closes[case.pk] or (
            [(case.closed_at, case.closure_reason)] if case.closed_at is not None else []
        )
        for at, reason in closures:
            closed_year, closed_month = _fiscal_year_and_month(at)
            keys.append((closed_year, case_tallies.CLOSED, f"{closed_month}:{reason}"))
        if case.pk not in changed:
            until = 0 if case.closed_at is None else _fiscal_year_and_month(case.closed_at)[0]
            opened_on = timezone.localtime(case.opened_at).date().isoformat()
            keys.append((until, case_tallies.OPEN_UNTIL, opened_on))
        for scope in (0, case.desk_id):
            for fiscal_year, kind, key in keys:
                counts[(fiscal_year, scope, kind, key)] += 1
    return counts


def stored_cases() -> Counter:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT fiscal_year, scope, kind, key, cases FROM {case_tallies.TABLE} "
            "WHERE cases <> 0"
        )
        return Counter({tuple(row[:4]): row[4] for row in cursor.fetchall()})


def assert_counts_kept() -> None:
    """On PostgreSQL the kept counts equal the sessions and cases; elsewhere nothing is
    kept."""
    if connection.vendor != "postgresql":
        kept = {*tallies.TABLES, case_tallies.TABLE}
        assert not kept & set(connection.introspection.table_names())
        return
    assert stored() == expected()
    assert stored_cases() == expected_cases()
