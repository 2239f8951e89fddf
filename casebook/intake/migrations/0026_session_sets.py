"""Each session's topics and counselors on one row with its instant and the keys the KPI
report counts by, kept by PostgreSQL triggers (docs/performance.md, "The FY KPI report", "A
year's topics and counselors read as one range").

The report's topic and counselor breakdowns probed the many-to-many tables' unique
`(session, key)` index once for each of a fiscal year's sessions (105,000 on the decade, three
buffers a probe), about 40 % of the report's SQL. Here `intake_session_sets` holds one row per
session: its id, instant, desk, client, mode and office (the session's columns the report
filters and counts by) and the sorted arrays of its topic codes and counselor ids, under a
btree on `(started_at, session_id)` that includes the rest: a year's rows are one range of
that index, read once, without the sessions or the many-to-many tables.

Every writer keeps it, whoever writes (services, the admin, the legacy import, the load
generator's COPY, raw SQL): statement triggers on `intake_consultationsession` (insert, a
change of any copied column, delete, truncate) and on its two many-to-many tables (insert,
update, delete, truncate) make the rows of the sessions the statement touched anew from the
tables themselves. A refresh first locks those rows in session order, so that two writers of
one session wait for each other and the second reads the first one's rows. Other databases
get nothing here (the report joins the many-to-many tables there).

The backfill groups each many-to-many table once (1,011,905 sessions on the decade copy: 28 s
with the indexes, load average 5); see docs/performance.md.
"""

from __future__ import annotations

import django.db.models.deletion
from django.db import migrations, models

# The row of each session in `session_ids` made anew from the session and its many-to-many
# rows; the row of a session that no longer exists is removed.
REFRESH = """
CREATE OR REPLACE FUNCTION casebook_session_sets_refresh(session_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(session_ids) = 0 THEN
        RETURN;
    END IF;
    PERFORM 1 FROM intake_session_sets
    WHERE session_id = ANY(session_ids) ORDER BY session_id FOR UPDATE;
    DELETE FROM intake_session_sets
    WHERE session_id = ANY(session_ids)
      AND NOT EXISTS (SELECT 1 FROM intake_consultationsession s WHERE s.id = session_id);
    INSERT INTO intake_session_sets AS kept
        (session_id, started_at, desk_id, client_id, mode, office_id, topic_ids, counselor_ids)
    SELECT s.id, s.started_at, s.desk_id, s.client_id, s.mode, s.office_id,
        ARRAY(SELECT t.topic_id FROM intake_consultationsession_topics t
              WHERE t.consultationsession_id = s.id ORDER BY t.topic_id),
        ARRAY(SELECT c.user_id FROM intake_consultationsession_counselors c
              WHERE c.consultationsession_id = s.id ORDER BY c.user_id)
    FROM intake_consultationsession s WHERE s.id = ANY(session_ids) ORDER BY s.id
    ON CONFLICT (session_id) DO UPDATE SET
        started_at = EXCLUDED.started_at,
        desk_id = EXCLUDED.desk_id,
        client_id = EXCLUDED.client_id,
        mode = EXCLUDED.mode,
        office_id = EXCLUDED.office_id,
        topic_ids = EXCLUDED.topic_ids,
        counselor_ids = EXCLUDED.counselor_ids
    WHERE (kept.started_at, kept.desk_id, kept.client_id, kept.mode, kept.office_id,
           kept.topic_ids, kept.counselor_ids)
        IS DISTINCT FROM (EXCLUDED.started_at, EXCLUDED.desk_id, EXCLUDED.client_id,
                          EXCLUDED.mode, EXCLUDED.office_id, EXCLUDED.topic_ids,
                          EXCLUDED.counselor_ids);
END
$$;
"""

# The sessions whose id or copied columns an update changed: their rows before and after.
COPIED = "id, started_at, desk_id, client_id, mode, office_id"
SESSIONS_CHANGED = f"""
SELECT id FROM (
    (SELECT {COPIED} FROM after_change EXCEPT SELECT {COPIED} FROM before_change)
    UNION ALL
    (SELECT {COPIED} FROM before_change EXCEPT SELECT {COPIED} FROM after_change)
) AS changed
"""

# The two many-to-many tables: (table, the trigger names' stem, the array emptied when the
# table is truncated).
SET_TABLES = [
    ("intake_consultationsession_topics", "topics", "topic_ids"),
    ("intake_consultationsession_counselors", "counselors", "counselor_ids"),
]


def _set_triggers(table: str, stem: str, column: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION casebook_session_sets_{stem}_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM casebook_session_sets_refresh(ARRAY(
        SELECT DISTINCT consultationsession_id FROM added
    ));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION casebook_session_sets_{stem}_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM casebook_session_sets_refresh(ARRAY(
        SELECT consultationsession_id FROM before_change
        UNION
        SELECT consultationsession_id FROM after_change
    ));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION casebook_session_sets_{stem}_removed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM casebook_session_sets_refresh(ARRAY(
        SELECT DISTINCT consultationsession_id FROM removed
    ));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION casebook_session_sets_{stem}_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE intake_session_sets SET {column} = '{{}}' WHERE cardinality({column}) > 0;
    RETURN NULL;
END
$$;

CREATE TRIGGER session_sets_{stem}_added AFTER INSERT ON {table}
REFERENCING NEW TABLE AS added
FOR EACH STATEMENT EXECUTE FUNCTION casebook_session_sets_{stem}_added();

CREATE TRIGGER session_sets_{stem}_changed AFTER UPDATE ON {table}
REFERENCING OLD TABLE AS before_change NEW TABLE AS after_change
FOR EACH STATEMENT EXECUTE FUNCTION casebook_session_sets_{stem}_changed();

CREATE TRIGGER session_sets_{stem}_removed AFTER DELETE ON {table}
REFERENCING OLD TABLE AS removed
FOR EACH STATEMENT EXECUTE FUNCTION casebook_session_sets_{stem}_removed();

CREATE TRIGGER session_sets_{stem}_truncated AFTER TRUNCATE ON {table}
FOR EACH STATEMENT EXECUTE FUNCTION casebook_session_sets_{stem}_truncated();
"""


TRIGGERS = f"""
CREATE OR REPLACE FUNCTION casebook_session_sets_sessions_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM casebook_session_sets_refresh(ARRAY(SELECT id FROM added));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION casebook_session_sets_sessions_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM casebook_session_sets_refresh(ARRAY({SESSIONS_CHANGED}));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION casebook_session_sets_sessions_removed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM intake_session_sets WHERE session_id IN (SELECT id FROM removed);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION casebook_session_sets_sessions_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE intake_session_sets;
    RETURN NULL;
END
$$;

CREATE TRIGGER session_sets_sessions_added AFTER INSERT ON intake_consultationsession
REFERENCING NEW TABLE AS added
FOR EACH STATEMENT EXECUTE FUNCTION casebook_session_sets_sessions_added();

CREATE TRIGGER session_sets_sessions_changed AFTER UPDATE ON intake_consultationsession
REFERENCING OLD TABLE AS before_change NEW TABLE AS after_change
FOR EACH STATEMENT EXECUTE FUNCTION casebook_session_sets_sessions_changed();

CREATE TRIGGER session_sets_sessions_removed AFTER DELETE ON intake_consultationsession
REFERENCING OLD TABLE AS removed
FOR EACH STATEMENT EXECUTE FUNCTION casebook_session_sets_sessions_removed();

CREATE TRIGGER session_sets_sessions_truncated AFTER TRUNCATE ON intake_consultationsession
FOR EACH STATEMENT EXECUTE FUNCTION casebook_session_sets_sessions_truncated();
{"".join(_set_triggers(*names) for names in SET_TABLES)}
"""

TRIGGER_NAMES = [
    (f"session_sets_{stem}_{event}", table)
    for table, stem in [
        ("intake_consultationsession", "sessions"),
        *((table, stem) for table, stem, _column in SET_TABLES),
    ]
    for event in ("added", "changed", "removed", "truncated")
]

FUNCTION_NAMES = [
    *(f"casebook_{trigger}()" for trigger, _table in TRIGGER_NAMES),
    "casebook_session_sets_refresh(bigint[])",
]


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    # The columns have the types of the session's; the arrays those of the many-to-many
    # tables' key columns.
    schema_editor.execute(
        "CREATE TABLE intake_session_sets (session_id bigint NOT NULL, "
        "started_at timestamp with time zone NOT NULL, desk_id bigint NOT NULL, "
        "client_id bigint, mode varchar(24) NOT NULL, office_id bigint, "
        "topic_ids varchar(40)[] NOT NULL, counselor_ids bigint[] NOT NULL)"
    )
    schema_editor.execute(REFRESH)
    # Writers wait for the backfill (their triggers would write the rows it copies).
    schema_editor.execute(
        "LOCK TABLE intake_consultationsession, intake_consultationsession_topics, "
        "intake_consultationsession_counselors IN SHARE MODE"
    )
    # The backfill: every session in one statement, each many-to-many table grouped once
    # (rather than probed per session), in the range index's order; the indexes built
    # afterwards (faster than keeping them row by row), then the triggers.
    schema_editor.execute(
        "INSERT INTO intake_session_sets (session_id, started_at, desk_id, client_id, mode, "
        "office_id, topic_ids, counselor_ids) "
        "SELECT s.id, s.started_at, s.desk_id, s.client_id, s.mode, s.office_id, "
        "COALESCE(t.ids, '{}'), COALESCE(c.ids, '{}') "
        "FROM intake_consultationsession s "
        "LEFT JOIN (SELECT consultationsession_id, array_agg(topic_id ORDER BY topic_id) ids "
        "FROM intake_consultationsession_topics GROUP BY 1) t "
        "ON t.consultationsession_id = s.id "
        "LEFT JOIN (SELECT consultationsession_id, array_agg(user_id ORDER BY user_id) ids "
        "FROM intake_consultationsession_counselors GROUP BY 1) c "
        "ON c.consultationsession_id = s.id "
        "ORDER BY s.started_at, s.id"
    )
    schema_editor.execute(
        "ALTER TABLE intake_session_sets ADD CONSTRAINT intake_session_sets_pkey "
        "PRIMARY KEY (session_id)"
    )
    # A year's rows are one range of this index, read without the table (an index-only scan
    # once vacuumed), as `session_started_keys` holds the sessions'.
    schema_editor.execute(
        "CREATE INDEX session_sets_started ON intake_session_sets (started_at, session_id) "
        "INCLUDE (desk_id, client_id, mode, office_id, topic_ids, counselor_ids)"
    )
    schema_editor.execute(TRIGGERS)
    # The statistics; `VACUUM` (outside the migration's transaction) sets the visibility map
    # for index-only scans (docs/performance.md).
    schema_editor.execute("ANALYZE intake_session_sets")


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for trigger, table in TRIGGER_NAMES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    for function in FUNCTION_NAMES:
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}")
    schema_editor.execute("DROP TABLE IF EXISTS intake_session_sets")


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0025_case_restricted"),
    ]

    operations = [
        migrations.CreateModel(
            name="SessionSets",
            fields=[
                (
                    "session",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="intake.consultationsession",
                    ),
                ),
                ("started_at", models.DateTimeField()),
                ("mode", models.CharField(max_length=24)),
            ],
            options={
                "db_table": "intake_session_sets",
                "managed": False,
            },
        ),
        migrations.RunPython(create, drop, elidable=False),
    ]
