"""The consultation report's counts kept as sessions are written, on PostgreSQL
(docs/performance.md, "The FY KPI report", "The year's counts kept as sessions are written").

The consultation report of a fiscal year counted the year's sessions at read time: seven
aggregates over a range that grows with the year (105,000 sessions on the decade), about a
second. Here PostgreSQL keeps those counts as sessions are written, in three tables:

- `reports_session_tally_client`: the sessions of each (fiscal year, scope, kind, key,
  client), where the scope is a desk (its id) or every desk (0) and the kind one breakdown
  of the report: the year itself (key ''), its month (1-12), the office, the mode, a topic,
  a counselor (a session with no office, no topic or no counselor counts once under key '',
  as the report's outer joins count it). An anonymous session (no client) has no row here.
- `reports_session_tally`: the same per (fiscal year, scope, kind, key), with its sessions
  (anonymous ones included) and its distinct clients: a client counts from the moment its
  row above has a session to the moment it has none.
- `reports_client_first_session`: each client's first session ever (any desk), under an
  index by instant: the new clients of a year are one range of it.

They are kept by statement triggers on `intake_session_sets`, the row of each session that
the database keeps whoever writes (`intake 0026_session_sets`): each statement's rows before
and after are counted as -1 and +1 under every key of both scopes, so that a change of a
session's topics moves one count and a client merge moves the sessions of the absorbed
client to the survivor. A tally writer first takes one transaction-level advisory lock
(`LOCK_KEY`): tally writers go one after another from their first counted statement to their
commit, so that no two of them take the tallies' rows in opposite orders (a deadlock); a
session's write holds it for the few milliseconds left of its transaction. Rows whose count
falls to 0 stay (with 0): readers ask for `sessions > 0`.

The fiscal year and the month are those of the session's instant in the project's time
zone, written into the functions when they are installed (`install`): after a change of
`TIME_ZONE`, `manage.py session_tallies --rebuild` installs them again and counts anew.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper

# pg_advisory_xact_lock(LOCK_KEY): the tally writers' turn (a constant of this module only).
LOCK_KEY = 7_315_002_021

# A statement that wrote more rows than this (the load generator's COPY, a large import or
# merge) has its counts planned for its size, through EXECUTE; fewer rows, every service's
# write, keep the plans PL/pgSQL cached for the connection, which were made for the tables as
# they were then (docs/performance.md, "Bulk writes: the refreshes planned for their size").
BULK = 500

# Set to 'paused' for one transaction by `pause`: its statements are not counted, and
# `catch_up` counts every session anew before it commits (a bulk writer's, `generate_load`).
PAUSED_SETTING = "casebook.session_tallies"

# Kinds of count (the `kind` column): the year (and, for a desk's scope, the desk), then one
# per breakdown of the report.
YEAR, MONTH, OFFICE, MODE, TOPIC, COUNSELOR = 0, 1, 3, 4, 5, 6

TABLES = (
    "reports_session_tally_client",
    "reports_session_tally",
    "reports_client_first_session",
)


def _keyed(source: str, zone: str) -> str:
    """The (fiscal year, scope, kind, key, client, sign) rows of `source` (rows of
    `intake_session_sets` with a `sign` column: +1 counted in, -1 counted out)."""
    return f"""
        SELECT
            (extract(year FROM (c.started_at AT TIME ZONE '{zone}') - interval '3 months'))::int
                AS fiscal_year,
            s.scope, k.kind, k.key, c.client_id, c.sign
        FROM ({source}) c
        CROSS JOIN LATERAL (VALUES (0::bigint), (c.desk_id)) AS s(scope)
        CROSS JOIN LATERAL (
            SELECT {YEAR}::smallint AS kind, ''::text AS key
            UNION ALL SELECT {MONTH}, extract(month FROM c.started_at AT TIME ZONE '{zone}')::text
            UNION ALL SELECT {OFFICE}, COALESCE(c.office_id::text, '')
            UNION ALL SELECT {MODE}, c.mode::text
            UNION ALL SELECT {TOPIC}, topic::text FROM unnest(
                CASE WHEN cardinality(c.topic_ids) = 0 THEN ARRAY['']::varchar[]
                ELSE c.topic_ids END) AS topic
            UNION ALL SELECT {COUNSELOR}, counselor FROM unnest(
                CASE WHEN cardinality(c.counselor_ids) = 0 THEN ARRAY['']
                ELSE c.counselor_ids::text[] END) AS counselor
        ) AS k
    """


def _counted(source: str, zone: str) -> str:
    """The statements that count `source`'s rows in (and out of) the tallies."""
    delta = (
        "SELECT fiscal_year, scope, kind, key, client_id, sum(sign)::int AS n "
        f"FROM ({_keyed(source, zone)}) keyed "
        "GROUP BY fiscal_year, scope, kind, key, client_id HAVING sum(sign) <> 0"
    )
    moved = (
        "SELECT client_id FROM ("
        f"SELECT client_id, started_at, sum(sign) AS n FROM ({source}) c "
        "WHERE client_id IS NOT NULL GROUP BY client_id, started_at) m "
        "WHERE n <> 0 GROUP BY client_id"
    )
    statements = [
        f"""WITH delta AS ({delta}),
    counted AS (
        INSERT INTO reports_session_tally_client AS t
            (fiscal_year, scope, kind, key, client_id, sessions)
        SELECT fiscal_year, scope, kind, key, client_id, n FROM delta
        WHERE client_id IS NOT NULL
        ORDER BY fiscal_year, scope, kind, key, client_id
        ON CONFLICT (fiscal_year, scope, kind, key, client_id)
        DO UPDATE SET sessions = t.sessions + EXCLUDED.sessions
        RETURNING t.fiscal_year, t.scope, t.kind, t.key, t.client_id, t.sessions
    ),
    clients AS (
        SELECT c.fiscal_year, c.scope, c.kind, c.key,
            sum(CASE WHEN c.sessions > 0 AND c.sessions - d.n <= 0 THEN 1
                     WHEN c.sessions <= 0 AND c.sessions - d.n > 0 THEN -1
                     ELSE 0 END)::int AS n
        FROM counted c JOIN delta d USING (fiscal_year, scope, kind, key, client_id)
        GROUP BY c.fiscal_year, c.scope, c.kind, c.key
    ),
    sessions AS (
        SELECT fiscal_year, scope, kind, key, sum(n)::int AS n FROM delta
        GROUP BY fiscal_year, scope, kind, key
    )
    INSERT INTO reports_session_tally AS t (fiscal_year, scope, kind, key, sessions, clients)
    SELECT fiscal_year, scope, kind, key, s.n, COALESCE(c.n, 0)
    FROM sessions s LEFT JOIN clients c USING (fiscal_year, scope, kind, key)
    WHERE s.n <> 0 OR c.n <> 0
    ORDER BY fiscal_year, scope, kind, key
    ON CONFLICT (fiscal_year, scope, kind, key) DO UPDATE SET
        sessions = t.sessions + EXCLUDED.sessions, clients = t.clients + EXCLUDED.clients""",
        # The first session ever of each client whose sessions moved in time or changed hands.
        f"""WITH moved AS ({moved}),
    firsts AS (
        SELECT m.client_id, (
            SELECT s.started_at FROM intake_consultationsession s
            WHERE s.client_id = m.client_id ORDER BY s.started_at LIMIT 1
        ) AS started_at
        FROM moved m
    ),
    gone AS (
        DELETE FROM reports_client_first_session f USING firsts
        WHERE f.client_id = firsts.client_id AND firsts.started_at IS NULL
    )
    INSERT INTO reports_client_first_session AS f (client_id, started_at)
    SELECT client_id, started_at FROM firsts WHERE started_at IS NOT NULL ORDER BY client_id
    ON CONFLICT (client_id) DO UPDATE SET started_at = EXCLUDED.started_at
    WHERE f.started_at IS DISTINCT FROM EXCLUDED.started_at""",
    ]
    return counted_body(source, statements)


def counted_body(rows: str, statements: list[str]) -> str:
    """The PL/pgSQL of a tally trigger (a function that declares `counted_rows bigint`):
    nothing while the transaction is paused or when `rows` (SQL) names none; otherwise the
    tally writers' turn, then `statements`, through EXECUTE (planned for this call) beyond
    BULK rows, with the plans cached for the connection below."""
    cached = "\n".join(f"{sql};" for sql in statements)
    planned = "\n".join(f"EXECUTE $statement${sql}$statement$;" for sql in statements)
    return f"""
    IF current_setting('{PAUSED_SETTING}', true) = 'paused' THEN
        RETURN NULL;
    END IF;
    SELECT count(*) INTO counted_rows FROM ({rows}) c;
    IF counted_rows = 0 THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock({LOCK_KEY});
    IF counted_rows > {BULK} THEN
        {planned}
    ELSE
        {cached}
    END IF;
    """


SETS_COLUMNS = "started_at, desk_id, client_id, mode, office_id, topic_ids, counselor_ids"

# (event, the trigger's transition tables, the rows each counts with their sign)
EVENTS = (
    ("added", "NEW TABLE AS added", f"SELECT {SETS_COLUMNS}, 1 AS sign FROM added"),
    (
        "changed",
        "OLD TABLE AS before_change NEW TABLE AS after_change",
        f"SELECT {SETS_COLUMNS}, -1 AS sign FROM before_change "
        f"UNION ALL SELECT {SETS_COLUMNS}, 1 FROM after_change",
    ),
    ("removed", "OLD TABLE AS removed", f"SELECT {SETS_COLUMNS}, -1 AS sign FROM removed"),
)
SQL_EVENT = {"added": "INSERT", "changed": "UPDATE", "removed": "DELETE"}


@dataclass(frozen=True)
class Trigger:
    name: str
    function: str


TRIGGERS = (
    *(Trigger(f"session_tally_{event}", f"casebook_session_tally_{event}") for event, *_ in EVENTS),
    Trigger("session_tally_truncated", "casebook_session_tally_truncated"),
)


def _statements(zone: str) -> Iterator[str]:
    for event, transition, source in EVENTS:
        yield f"""
CREATE OR REPLACE FUNCTION casebook_session_tally_{event}() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    counted_rows bigint;
BEGIN
    {_counted(source, zone)}
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS session_tally_{event} ON intake_session_sets;
CREATE TRIGGER session_tally_{event} AFTER {SQL_EVENT[event]} ON intake_session_sets
REFERENCING {transition}
FOR EACH STATEMENT EXECUTE FUNCTION casebook_session_tally_{event}();
"""
    yield f"""
CREATE OR REPLACE FUNCTION casebook_session_tally_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE {", ".join(TABLES)};
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS session_tally_truncated ON intake_session_sets;
CREATE TRIGGER session_tally_truncated AFTER TRUNCATE ON intake_session_sets
FOR EACH STATEMENT EXECUTE FUNCTION casebook_session_tally_truncated();
"""


def zone() -> str:
    """The project's time zone, checked to be one (it is written into SQL)."""
    name = str(settings.TIME_ZONE)
    zoneinfo.ZoneInfo(name)
    if "'" in name:
        raise ValueError(f"TIME_ZONE {name!r} cannot be written into SQL")
    return name


def create_tables(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE reports_session_tally_client (fiscal_year integer NOT NULL, "
            "scope bigint NOT NULL, kind smallint NOT NULL, key text NOT NULL, "
            "client_id bigint NOT NULL, sessions integer NOT NULL, "
            "PRIMARY KEY (fiscal_year, scope, kind, key, client_id))"
        )
        cursor.execute(
            "CREATE TABLE reports_session_tally (fiscal_year integer NOT NULL, "
            "scope bigint NOT NULL, kind smallint NOT NULL, key text NOT NULL, "
            "sessions integer NOT NULL, clients integer NOT NULL, "
            "PRIMARY KEY (fiscal_year, scope, kind, key))"
        )
        cursor.execute(
            "CREATE TABLE reports_client_first_session (client_id bigint PRIMARY KEY, "
            "started_at timestamp with time zone NOT NULL)"
        )
        cursor.execute(
            "CREATE INDEX client_first_session_started "
            "ON reports_client_first_session (started_at, client_id)"
        )


def install(connection: BaseDatabaseWrapper) -> None:
    """(Re)create the functions and triggers that keep the tallies, with the current zone."""
    with connection.cursor() as cursor:
        for statement in _statements(zone()):
            cursor.execute(statement)


def uninstall(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for trigger in TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {trigger.name} ON intake_session_sets")
            cursor.execute(f"DROP FUNCTION IF EXISTS {trigger.function}()")
        for table in TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")


def _recount(cursor: CursorWrapper) -> None:
    """Every session counted anew into temporary tables named as the tallies with
    `recounted_` before them, in one pass over `intake_session_sets` (grouped once per key and
    client) and the first sessions from the sessions' index."""
    keyed = _keyed(f"SELECT {SETS_COLUMNS}, 1 AS sign FROM intake_session_sets", zone())
    cursor.execute(
        "CREATE TEMPORARY TABLE recounted_keys AS "
        "SELECT fiscal_year, scope, kind, key, client_id, count(*)::int AS sessions "
        f"FROM ({keyed}) keyed GROUP BY fiscal_year, scope, kind, key, client_id"
    )
    cursor.execute(
        "CREATE TEMPORARY TABLE recounted_session_tally_client AS "
        "SELECT fiscal_year, scope, kind, key, client_id, sessions FROM recounted_keys "
        "WHERE client_id IS NOT NULL"
    )
    cursor.execute(
        "CREATE TEMPORARY TABLE recounted_session_tally AS "
        "SELECT fiscal_year, scope, kind, key, sum(sessions)::int AS sessions, "
        "count(client_id)::int AS clients FROM recounted_keys "
        "GROUP BY fiscal_year, scope, kind, key"
    )
    cursor.execute(
        "CREATE TEMPORARY TABLE recounted_client_first_session AS "
        "SELECT client_id, min(started_at) AS started_at FROM intake_consultationsession "
        "WHERE client_id IS NOT NULL GROUP BY client_id"
    )


def _drop_recounted(cursor: CursorWrapper) -> None:
    cursor.execute(
        "DROP TABLE recounted_keys, "
        + ", ".join(f"recounted_{table.removeprefix('reports_')}" for table in TABLES)
    )


# Each table's columns, and the rows of it that count (a count fallen to 0 stays as a row).
KEPT = {
    "reports_session_tally_client": (
        "fiscal_year, scope, kind, key, client_id, sessions",
        "sessions > 0",
    ),
    "reports_session_tally": ("fiscal_year, scope, kind, key, sessions, clients", "sessions > 0"),
    "reports_client_first_session": ("client_id, started_at", "true"),
}


def differences(connection: BaseDatabaseWrapper) -> dict[str, int]:
    """Per table, the rows that differ between the tallies and every session counted anew
    (rows kept but not counted, and counted but not kept); all 0 when the tallies are true."""
    found: dict[str, int] = {}
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        _recount(cursor)
        for table, (columns, counts) in KEPT.items():
            recounted = f"recounted_{table.removeprefix('reports_')}"
            cursor.execute(
                "SELECT count(*) FROM ("
                f"(SELECT {columns} FROM {table} WHERE {counts} "
                f"EXCEPT SELECT {columns} FROM {recounted}) UNION ALL "
                f"(SELECT {columns} FROM {recounted} "
                f"EXCEPT SELECT {columns} FROM {table} WHERE {counts})) differing"
            )
            found[table] = cursor.fetchone()[0]
        _drop_recounted(cursor)
    return found


def rebuild(connection: BaseDatabaseWrapper) -> None:
    """Count every session anew into the tallies. Writers of sessions wait meanwhile (their
    triggers would count what is being rebuilt)."""
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE intake_session_sets IN SHARE MODE")
        _recount(cursor)
        cursor.execute(f"TRUNCATE {', '.join(TABLES)}")
        for table, (columns, _counts) in KEPT.items():
            recounted = f"recounted_{table.removeprefix('reports_')}"
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {recounted} "
                f"ORDER BY {columns}"
            )
        _drop_recounted(cursor)
        for table in TABLES:
            cursor.execute(f"ANALYZE {table}")


def pause(connection: BaseDatabaseWrapper) -> None:
    """This transaction's writes of sessions are not counted as they land: `catch_up` must
    follow in the same transaction (a bulk writer's million-row statements are then counted
    once, not statement by statement; the setting ends with the transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'paused', true)", [PAUSED_SETTING])


def catch_up(connection: BaseDatabaseWrapper) -> None:
    """Counted anew after `pause`, and counted as they land again."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, '', true)", [PAUSED_SETTING])
    rebuild(connection)
