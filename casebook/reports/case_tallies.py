"""The report's case figures kept as cases and their transitions are written, on PostgreSQL
(docs/performance.md, "The FY KPI report", "The case figures kept as cases are written").

The case figures of a fiscal year (docs/reports.md, "Cases") read the year's cases: the
cases opened per month, the closures per month and reason, the days from intake to the first
session, the ageing of a past year's open cases. On the decade that was about 35 ms of SQL
over ranges that grow with the year and the backlog.
Here PostgreSQL keeps them in `reports_case_tally`: the cases of each (fiscal year, scope,
kind, key), where the scope is a desk (its id) or every desk (0) and the kind one figure:

- `OPENED`: a case, in the fiscal year and month (key 1-12) it opened;
- `WAITED`: a case with a first session, in the fiscal year it opened, under the days between
  the local dates of its intake and its first session (key: the number of days);
- `CLOSED`: a closure, in the fiscal year of its instant, under "month:reason". A closure is
  a close transition (the case's reason at the time; it still counts after a reopen), or the
  case's own `closed_at` when the case has no close transition (an imported record);
- `OPEN_UNTIL`: a case that was never closed nor reopened by a transition, under the local
  date it opened (key: YYYY-MM-DD) and the fiscal year of its `closed_at` (0 while open):
  such a case was open at the end of a past fiscal year if it opened by then and closes in a
  later year or not yet, which is what the ageing of a past year counts per age.

A case counts with its transitions as one unit, under its current desk: the statement
triggers on `intake_case` count the cases a statement wrote as -1 (before) and +1 (after)
with the close and reopen transitions they have now, and those on `intake_casetransition`
count the cases whose close or reopen transitions a statement wrote, as they are now, with
those transitions before (-1) and after (+1) it. A case moved to another desk takes its
closures with it; a case's first close transition takes over from its `closed_at`.

The writers take their turn under the report's one advisory lock (`tallies.LOCK_KEY`) before
they read the other table, so that in READ COMMITTED each reads what the writer before it
committed: a case moved to another desk and a close transition of it written at the same
time are counted under the desk that won. The time zone is written into the functions
(`tallies.zone`), as for the session counts; `manage.py session_tallies --rebuild` installs
both again and counts anew. A statement that wrote more than `tallies.BULK` cases or
transitions is planned for its size; a transaction paused by `tallies.pause` is counted anew
by `tallies.catch_up`.
"""

from __future__ import annotations

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from casebook.reports import tallies

OPENED, WAITED, CLOSED, OPEN_UNTIL = 1, 2, 3, 4

# The transitions a case's state on a past day is read from.
CHANGES = ("close", "reopen")

TABLE = "reports_case_tally"

CASE_COLUMNS = "id, desk_id, opened_at, first_session_at, closed_at, closure_reason"

_CHANGE_COLUMNS = "case_id, action, at, closure_reason"
_IS_CHANGE = "action IN ('close', 'reopen')"

# The close and reopen transitions as they are now.
CHANGES_NOW = f"SELECT id, {_CHANGE_COLUMNS} FROM intake_casetransition WHERE {_IS_CHANGE}"


def _fiscal_year(instant: str, zone: str) -> str:
    return f"(extract(year FROM ({instant} AT TIME ZONE '{zone}') - interval '3 months'))::int"


def _month(instant: str, zone: str) -> str:
    return f"extract(month FROM {instant} AT TIME ZONE '{zone}')::int::text"


def _keyed(cases: str, changes: str, zone: str) -> str:
    """The (fiscal year, scope, kind, key, sign) rows of `cases` (rows of `CASE_COLUMNS` and
    a `sign`), each with its close and reopen transitions in `changes` (rows of id, case_id,
    action, at and closure_reason)."""
    return f"""
        SELECT f.fiscal_year, s.scope, f.kind, f.key, c.sign
        FROM ({cases}) c
        CROSS JOIN LATERAL (
            SELECT {_fiscal_year("c.opened_at", zone)} AS fiscal_year,
                {OPENED}::smallint AS kind, {_month("c.opened_at", zone)} AS key
            UNION ALL
            SELECT {_fiscal_year("c.opened_at", zone)}, {WAITED},
                ((c.first_session_at AT TIME ZONE '{zone}')::date
                 - (c.opened_at AT TIME ZONE '{zone}')::date)::text
            WHERE c.first_session_at IS NOT NULL
            UNION ALL
            SELECT {_fiscal_year("t.at", zone)}, {CLOSED},
                {_month("t.at", zone)} || ':' || t.closure_reason
            FROM ({changes}) t WHERE t.case_id = c.id AND t.action = 'close'
            UNION ALL
            SELECT {_fiscal_year("c.closed_at", zone)}, {CLOSED},
                {_month("c.closed_at", zone)} || ':' || c.closure_reason
            WHERE c.closed_at IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM ({changes}) t WHERE t.case_id = c.id AND t.action = 'close'
            )
            UNION ALL
            SELECT COALESCE({_fiscal_year("c.closed_at", zone)}, 0), {OPEN_UNTIL},
                to_char(c.opened_at AT TIME ZONE '{zone}', 'YYYY-MM-DD')
            WHERE NOT EXISTS (SELECT 1 FROM ({changes}) t WHERE t.case_id = c.id)
        ) AS f
        CROSS JOIN LATERAL (VALUES (0::bigint), (c.desk_id)) AS s(scope)
    """


def _counted(source: str) -> str:
    """The statement that adds `source`'s keyed rows (with their sign) to the tally."""
    return f"""INSERT INTO {TABLE} AS t (fiscal_year, scope, kind, key, cases)
    SELECT fiscal_year, scope, kind, key, sum(sign)::int FROM ({source}) keyed
    GROUP BY fiscal_year, scope, kind, key HAVING sum(sign) <> 0
    ORDER BY fiscal_year, scope, kind, key
    ON CONFLICT (fiscal_year, scope, kind, key) DO UPDATE SET cases = t.cases + EXCLUDED.cases"""


def _cases_now(ids: str) -> str:
    return f"SELECT {CASE_COLUMNS} FROM intake_case WHERE id IN ({ids})"


def _changes_other_than(new_rows: str) -> str:
    return f"{CHANGES_NOW} AND id NOT IN (SELECT id FROM {new_rows})"


def _changes_of(rows: str) -> str:
    return f"SELECT id, {_CHANGE_COLUMNS} FROM {rows} WHERE {_IS_CHANGE}"


# Per trigger: the table, its event, its transition tables, the SQL that names the rows it
# wrote (counted when it names none: nothing to do), and the keyed rows it counts.
def _events(zone: str) -> list[tuple[str, str, str, str, str, str]]:
    counted_columns = "desk_id, opened_at, first_session_at, closed_at, closure_reason"
    changed_cases = (
        f"SELECT b.id FROM before_change b JOIN after_change a USING (id) "
        f"WHERE (b.{counted_columns.replace(', ', ', b.')}) IS DISTINCT FROM "
        f"(a.{counted_columns.replace(', ', ', a.')})"
    )
    changed = "SELECT case_id AS id FROM {rows} WHERE " + _IS_CHANGE
    touched = f"{changed.format(rows='before_change')} UNION {changed.format(rows='after_change')}"
    return [
        (
            "cases_added",
            "intake_case",
            "INSERT",
            "NEW TABLE AS added",
            "SELECT id FROM added",
            _keyed(f"SELECT {CASE_COLUMNS}, 1 AS sign FROM added", CHANGES_NOW, zone),
        ),
        (
            "cases_changed",
            "intake_case",
            "UPDATE",
            "OLD TABLE AS before_change NEW TABLE AS after_change",
            changed_cases,
            _keyed(
                f"SELECT {CASE_COLUMNS}, -1 AS sign FROM before_change "
                f"WHERE id IN ({changed_cases}) "
                f"UNION ALL SELECT {CASE_COLUMNS}, 1 FROM after_change "
                f"WHERE id IN ({changed_cases})",
                CHANGES_NOW,
                zone,
            ),
        ),
        (
            "cases_removed",
            "intake_case",
            "DELETE",
            "OLD TABLE AS removed",
            "SELECT id FROM removed",
            _keyed(f"SELECT {CASE_COLUMNS}, -1 AS sign FROM removed", CHANGES_NOW, zone),
        ),
        (
            "changes_added",
            "intake_casetransition",
            "INSERT",
            "NEW TABLE AS added",
            changed.format(rows="added"),
            _before_and_after(
                changed.format(rows="added"), _changes_other_than("added"), zone=zone
            ),
        ),
        (
            "changes_changed",
            "intake_casetransition",
            "UPDATE",
            "OLD TABLE AS before_change NEW TABLE AS after_change",
            touched,
            _before_and_after(
                touched,
                f"{_changes_other_than('after_change')} UNION ALL {_changes_of('before_change')}",
                zone=zone,
            ),
        ),
        (
            "changes_removed",
            "intake_casetransition",
            "DELETE",
            "OLD TABLE AS removed",
            changed.format(rows="removed"),
            _before_and_after(
                changed.format(rows="removed"),
                f"{CHANGES_NOW} UNION ALL {_changes_of('removed')}",
                zone=zone,
            ),
        ),
    ]


def _before_and_after(ids: str, changes_before: str, *, zone: str) -> str:
    """The cases `ids` as they are now, counted out with their close and reopen transitions
    before the statement and in with those after it."""
    cases = _cases_now(ids)
    return (
        f"{_keyed(f'SELECT {CASE_COLUMNS}, -1 AS sign FROM ({cases}) c0', changes_before, zone)}"
        f" UNION ALL "
        f"{_keyed(f'SELECT {CASE_COLUMNS}, 1 AS sign FROM ({cases}) c1', CHANGES_NOW, zone)}"
    )


def _statements(zone: str) -> list[str]:
    statements = []
    for name, table, event, transition, ids, keyed in _events(zone):
        statements.append(f"""
CREATE OR REPLACE FUNCTION casebook_case_tally_{name}() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    counted_rows bigint;
BEGIN
    {tallies.counted_body(ids, [_counted(keyed)])}
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS case_tally_{name} ON {table};
CREATE TRIGGER case_tally_{name} AFTER {event} ON {table}
REFERENCING {transition}
FOR EACH STATEMENT EXECUTE FUNCTION casebook_case_tally_{name}();
""")
    # A table emptied at once: every case counted anew (without the transitions, the cases
    # count by their own closing).
    statements.append(f"""
CREATE OR REPLACE FUNCTION casebook_case_tally_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({tallies.LOCK_KEY});
    TRUNCATE {TABLE};
    {_recount(zone)};
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS case_tally_cases_truncated ON intake_case;
CREATE TRIGGER case_tally_cases_truncated AFTER TRUNCATE ON intake_case
FOR EACH STATEMENT EXECUTE FUNCTION casebook_case_tally_truncated();
DROP TRIGGER IF EXISTS case_tally_changes_truncated ON intake_casetransition;
CREATE TRIGGER case_tally_changes_truncated AFTER TRUNCATE ON intake_casetransition
FOR EACH STATEMENT EXECUTE FUNCTION casebook_case_tally_truncated();
""")
    return statements


def _triggers() -> list[tuple[str, str, str]]:
    """(trigger, table, function) of every trigger `install` creates (built when asked: the
    events' SQL is not needed at start-up)."""
    return [
        *(
            (f"case_tally_{name}", table, f"casebook_case_tally_{name}")
            for name, table, *_ in _events("UTC")
        ),
        ("case_tally_cases_truncated", "intake_case", "casebook_case_tally_truncated"),
        ("case_tally_changes_truncated", "intake_casetransition", "casebook_case_tally_truncated"),
    ]


def _recount(zone: str, *, into: str = TABLE) -> str:
    keyed = _keyed(f"SELECT {CASE_COLUMNS}, 1 AS sign FROM intake_case", CHANGES_NOW, zone)
    return (
        f"INSERT INTO {into} (fiscal_year, scope, kind, key, cases) "
        f"SELECT fiscal_year, scope, kind, key, count(*)::int FROM ({keyed}) keyed "
        "GROUP BY fiscal_year, scope, kind, key ORDER BY fiscal_year, scope, kind, key"
    )


def create_table(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {TABLE} (fiscal_year integer NOT NULL, scope bigint NOT NULL, "
            "kind smallint NOT NULL, key text NOT NULL, cases integer NOT NULL, "
            "PRIMARY KEY (fiscal_year, scope, kind, key))"
        )


def install(connection: BaseDatabaseWrapper) -> None:
    """(Re)create the functions and triggers that keep the tally, with the current zone."""
    with connection.cursor() as cursor:
        for statement in _statements(tallies.zone()):
            cursor.execute(statement)


def uninstall(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        triggers = _triggers()
        for trigger, table, _function in triggers:
            cursor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        for function in sorted({function for *_, function in triggers}):
            cursor.execute(f"DROP FUNCTION IF EXISTS {function}()")
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def differences(connection: BaseDatabaseWrapper) -> int:
    """The rows that differ between the kept tally and every case counted anew (0 when the
    tally is true); a count fallen to 0 stays as a row and is not compared."""
    columns = "fiscal_year, scope, kind, key, cases"
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE recounted_case_tally (fiscal_year integer, scope bigint, "
            "kind smallint, key text, cases integer)"
        )
        cursor.execute(_recount(tallies.zone(), into="recounted_case_tally"))
        cursor.execute(
            "SELECT count(*) FROM ("
            f"(SELECT {columns} FROM {TABLE} WHERE cases <> 0 "
            f"EXCEPT SELECT {columns} FROM recounted_case_tally) UNION ALL "
            f"(SELECT {columns} FROM recounted_case_tally "
            f"EXCEPT SELECT {columns} FROM {TABLE} WHERE cases <> 0)) differing"
        )
        found = cursor.fetchone()[0]
        cursor.execute("DROP TABLE recounted_case_tally")
    return found


def rebuild(connection: BaseDatabaseWrapper) -> None:
    """Count every case anew. Writers of cases and transitions wait meanwhile."""
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE intake_case, intake_casetransition IN SHARE MODE")
        cursor.execute(f"TRUNCATE {TABLE}")
        cursor.execute(_recount(tallies.zone()))
        cursor.execute(f"ANALYZE {TABLE}")
