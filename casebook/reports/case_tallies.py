"""The report's case figures kept as cases and their transitions are written, on PostgreSQL
(docs/performance.md, "The FY KPI report", "The case figures kept as cases are written").

The case figures of a fiscal year (docs/reports.md, "Cases") read the year's cases: the
cases opened per month, the closures per month and reason, the days from intake to the first
session. On the decade that was about 30 ms of SQL over a range that grows with the year.
Here PostgreSQL keeps them in `reports_case_tally`: the cases of each (fiscal year, scope,
kind, key), where the scope is a desk (its id) or every desk (0) and the kind one figure:

- `OPENED`: a case, in the fiscal year and month (key 1-12) it opened;
- `WAITED`: a case with a first session, in the fiscal year it opened, under the days between
  the local dates of its intake and its first session (key: the number of days);
- `CLOSED`: a closure, in the fiscal year of its instant, under "month:reason". A closure is
  a close transition (the case's reason at the time; it still counts after a reopen), or the
  case's own `closed_at` when the case has no close transition (an imported record).

A case counts with its transitions as one unit, under its current desk: the statement
triggers on `intake_case` count the cases a statement wrote as -1 (before) and +1 (after)
with the close transitions they have now, and those on `intake_casetransition` count the
cases whose close transitions a statement wrote, as they are now, with their close
transitions before (-1) and after (+1) it. A case moved to another desk takes its closures
with it; a case's first close transition takes over from its `closed_at`.

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

OPENED, WAITED, CLOSED = 1, 2, 3

TABLE = "reports_case_tally"

CASE_COLUMNS = "id, desk_id, opened_at, first_session_at, closed_at, closure_reason"

# The close transitions of the case `c` as they are now.
CLOSES_NOW = "SELECT case_id, at, closure_reason FROM intake_casetransition WHERE action = 'close'"


def _fiscal_year(instant: str, zone: str) -> str:
    return f"(extract(year FROM ({instant} AT TIME ZONE '{zone}') - interval '3 months'))::int"


def _month(instant: str, zone: str) -> str:
    return f"extract(month FROM {instant} AT TIME ZONE '{zone}')::int::text"


def _keyed(cases: str, closes: str, zone: str) -> str:
    """The (fiscal year, scope, kind, key, sign) rows of `cases` (rows of `CASE_COLUMNS` and
    a `sign`), each with its close transitions in `closes` (rows of case_id, at and
    closure_reason)."""
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
            FROM ({closes}) t WHERE t.case_id = c.id
            UNION ALL
            SELECT {_fiscal_year("c.closed_at", zone)}, {CLOSED},
                {_month("c.closed_at", zone)} || ':' || c.closure_reason
            WHERE c.closed_at IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM ({closes}) t WHERE t.case_id = c.id)
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


def _closes_other_than(new_rows: str) -> str:
    return f"{CLOSES_NOW} AND id NOT IN (SELECT id FROM {new_rows})"


def _closes_of(rows: str) -> str:
    return f"SELECT case_id, at, closure_reason FROM {rows} WHERE action = 'close'"


# Per trigger: the table, its event, its transition tables, the SQL that names the rows it
# wrote (counted when it names none: nothing to do), and the keyed rows it counts.
def _events(zone: str) -> list[tuple[str, str, str, str, str, str]]:
    counted_columns = "desk_id, opened_at, first_session_at, closed_at, closure_reason"
    changed_cases = (
        f"SELECT b.id FROM before_change b JOIN after_change a USING (id) "
        f"WHERE (b.{counted_columns.replace(', ', ', b.')}) IS DISTINCT FROM "
        f"(a.{counted_columns.replace(', ', ', a.')})"
    )
    closed = "SELECT case_id AS id FROM {rows} WHERE action = 'close'"
    touched = f"{closed.format(rows='before_change')} UNION {closed.format(rows='after_change')}"
    return [
        (
            "cases_added",
            "intake_case",
            "INSERT",
            "NEW TABLE AS added",
            "SELECT id FROM added",
            _keyed(f"SELECT {CASE_COLUMNS}, 1 AS sign FROM added", CLOSES_NOW, zone),
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
                CLOSES_NOW,
                zone,
            ),
        ),
        (
            "cases_removed",
            "intake_case",
            "DELETE",
            "OLD TABLE AS removed",
            "SELECT id FROM removed",
            _keyed(f"SELECT {CASE_COLUMNS}, -1 AS sign FROM removed", CLOSES_NOW, zone),
        ),
        (
            "closes_added",
            "intake_casetransition",
            "INSERT",
            "NEW TABLE AS added",
            closed.format(rows="added"),
            _before_and_after(closed.format(rows="added"), _closes_other_than("added"), zone=zone),
        ),
        (
            "closes_changed",
            "intake_casetransition",
            "UPDATE",
            "OLD TABLE AS before_change NEW TABLE AS after_change",
            touched,
            _before_and_after(
                touched,
                f"{_closes_other_than('after_change')} UNION ALL {_closes_of('before_change')}",
                zone=zone,
            ),
        ),
        (
            "closes_removed",
            "intake_casetransition",
            "DELETE",
            "OLD TABLE AS removed",
            closed.format(rows="removed"),
            _before_and_after(
                closed.format(rows="removed"),
                f"{CLOSES_NOW} UNION ALL {_closes_of('removed')}",
                zone=zone,
            ),
        ),
    ]


def _before_and_after(ids: str, closes_before: str, *, zone: str) -> str:
    """The cases `ids` as they are now, counted out with their close transitions before the
    statement and in with those after it."""
    cases = _cases_now(ids)
    return (
        f"{_keyed(f'SELECT {CASE_COLUMNS}, -1 AS sign FROM ({cases}) c0', closes_before, zone)}"
        f" UNION ALL "
        f"{_keyed(f'SELECT {CASE_COLUMNS}, 1 AS sign FROM ({cases}) c1', CLOSES_NOW, zone)}"
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
DROP TRIGGER IF EXISTS case_tally_closes_truncated ON intake_casetransition;
CREATE TRIGGER case_tally_closes_truncated AFTER TRUNCATE ON intake_casetransition
FOR EACH STATEMENT EXECUTE FUNCTION casebook_case_tally_truncated();
""")
    return statements


TRIGGERS = (
    *(
        (f"case_tally_{name}", table, f"casebook_case_tally_{name}")
        for name, table, *_ in _events("UTC")
    ),
    ("case_tally_cases_truncated", "intake_case", "casebook_case_tally_truncated"),
    ("case_tally_closes_truncated", "intake_casetransition", "casebook_case_tally_truncated"),
)


def _recount(zone: str, *, into: str = TABLE) -> str:
    keyed = _keyed(f"SELECT {CASE_COLUMNS}, 1 AS sign FROM intake_case", CLOSES_NOW, zone)
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
        for trigger, table, _function in TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        for function in sorted({function for *_, function in TRIGGERS}):
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
