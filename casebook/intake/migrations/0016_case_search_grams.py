"""The grams of a case's title and its sessions' summaries on one row per case, kept by
PostgreSQL triggers (docs/performance.md, "Search").

A common word (「特許」 in 51,602 summaries of 10,410 cases) was looked up in the summaries'
index, each matching session's row read to learn its case (10,783 heap pages), and each case
then checked for visibility. Here a case's title and summaries have one row,
`intake_case_search_grams`, with a GIN index on `grams`: the same word is 10,410 rows. The row
also copies the case's columns the visibility rule reads (desk, lead counselor,
confidentiality), so that the rule (`intake.policy.visible_cases_q`) is applied to the rows
themselves and a reader's few matches come out without reading the others' cases.

Every writer keeps it, whoever writes (services, the admin, the legacy import, the demo and
load generators' bulk inserts, raw SQL): statement triggers on `intake_case` (insert, a
changed title, desk, lead or confidentiality, delete, truncate) and on `intake_consultationsession` (insert, a changed
summary or case, delete, truncate) refresh the rows of the cases the statement touched.
A refresh first locks those rows in case order, so that two writers on one case wait for
each other and the second one reads the first one's session. Other databases get nothing
here (the search uses LIKE there).

The backfill computes every case's row (200,046 cases, 1,011,912 sessions: 68 s, the index
15 s, on the development machine while it was busy); see docs/performance.md.
"""

from __future__ import annotations

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import casebook.intake.models.search

# The row of each case in `case_ids` made anew from its title and its sessions' summaries;
# the row of a case that no longer exists is removed.
REFRESH = """
CREATE OR REPLACE FUNCTION casebook_case_grams_refresh(case_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(case_ids) = 0 THEN
        RETURN;
    END IF;
    PERFORM 1 FROM intake_case_search_grams
    WHERE case_id = ANY(case_ids) ORDER BY case_id FOR UPDATE;
    DELETE FROM intake_case_search_grams
    WHERE case_id = ANY(case_ids)
      AND NOT EXISTS (SELECT 1 FROM intake_case c WHERE c.id = case_id);
    INSERT INTO intake_case_search_grams AS kept
        (case_id, grams, desk_id, lead_counselor_id, confidentiality)
    SELECT c.id, casebook_case_grams(c.id, c.title), c.desk_id, c.lead_counselor_id,
           c.confidentiality
    FROM intake_case c WHERE c.id = ANY(case_ids) ORDER BY c.id
    ON CONFLICT (case_id) DO UPDATE SET
        grams = EXCLUDED.grams,
        desk_id = EXCLUDED.desk_id,
        lead_counselor_id = EXCLUDED.lead_counselor_id,
        confidentiality = EXCLUDED.confidentiality
    WHERE (kept.grams, kept.desk_id, kept.lead_counselor_id, kept.confidentiality)
        IS DISTINCT FROM (EXCLUDED.grams, EXCLUDED.desk_id, EXCLUDED.lead_counselor_id,
                          EXCLUDED.confidentiality);
END
$$;

CREATE OR REPLACE FUNCTION casebook_case_grams(case_id bigint, title text) RETURNS text[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT ARRAY(
        SELECT unnest(casebook_search_grams(title))
        UNION
        SELECT unnest(casebook_search_grams(s.summary))
        FROM intake_consultationsession s WHERE s.case_id = casebook_case_grams.case_id
    )
$$;
"""

TRIGGERS = """
CREATE OR REPLACE FUNCTION casebook_case_grams_sessions_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM casebook_case_grams_refresh(ARRAY(SELECT DISTINCT case_id FROM added));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION casebook_case_grams_sessions_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM casebook_case_grams_refresh(ARRAY(
        SELECT b.case_id FROM before_change b JOIN after_change a USING (id)
        WHERE a.summary IS DISTINCT FROM b.summary OR a.case_id <> b.case_id
        UNION
        SELECT a.case_id FROM before_change b JOIN after_change a USING (id)
        WHERE a.summary IS DISTINCT FROM b.summary OR a.case_id <> b.case_id
    ));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION casebook_case_grams_sessions_removed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM casebook_case_grams_refresh(ARRAY(SELECT DISTINCT case_id FROM removed));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION casebook_case_grams_sessions_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM casebook_case_grams_refresh(ARRAY(SELECT case_id FROM intake_case_search_grams));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION casebook_case_grams_cases_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM casebook_case_grams_refresh(ARRAY(SELECT id FROM added));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION casebook_case_grams_cases_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM casebook_case_grams_refresh(ARRAY(
        SELECT a.id FROM before_change b JOIN after_change a USING (id)
        WHERE (a.title, a.desk_id, a.lead_counselor_id, a.confidentiality)
            IS DISTINCT FROM (b.title, b.desk_id, b.lead_counselor_id, b.confidentiality)
    ));
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION casebook_case_grams_cases_removed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM intake_case_search_grams WHERE case_id IN (SELECT id FROM removed);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION casebook_case_grams_cases_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE intake_case_search_grams;
    RETURN NULL;
END
$$;

CREATE TRIGGER case_grams_sessions_added AFTER INSERT ON intake_consultationsession
REFERENCING NEW TABLE AS added
FOR EACH STATEMENT EXECUTE FUNCTION casebook_case_grams_sessions_added();

CREATE TRIGGER case_grams_sessions_changed AFTER UPDATE ON intake_consultationsession
REFERENCING OLD TABLE AS before_change NEW TABLE AS after_change
FOR EACH STATEMENT EXECUTE FUNCTION casebook_case_grams_sessions_changed();

CREATE TRIGGER case_grams_sessions_removed AFTER DELETE ON intake_consultationsession
REFERENCING OLD TABLE AS removed
FOR EACH STATEMENT EXECUTE FUNCTION casebook_case_grams_sessions_removed();

CREATE TRIGGER case_grams_sessions_truncated AFTER TRUNCATE ON intake_consultationsession
FOR EACH STATEMENT EXECUTE FUNCTION casebook_case_grams_sessions_truncated();

CREATE TRIGGER case_grams_cases_added AFTER INSERT ON intake_case
REFERENCING NEW TABLE AS added
FOR EACH STATEMENT EXECUTE FUNCTION casebook_case_grams_cases_added();

CREATE TRIGGER case_grams_cases_changed AFTER UPDATE ON intake_case
REFERENCING OLD TABLE AS before_change NEW TABLE AS after_change
FOR EACH STATEMENT EXECUTE FUNCTION casebook_case_grams_cases_changed();

CREATE TRIGGER case_grams_cases_removed AFTER DELETE ON intake_case
REFERENCING OLD TABLE AS removed
FOR EACH STATEMENT EXECUTE FUNCTION casebook_case_grams_cases_removed();

CREATE TRIGGER case_grams_cases_truncated AFTER TRUNCATE ON intake_case
FOR EACH STATEMENT EXECUTE FUNCTION casebook_case_grams_cases_truncated();
"""

TRIGGER_NAMES = [
    ("case_grams_sessions_added", "intake_consultationsession"),
    ("case_grams_sessions_changed", "intake_consultationsession"),
    ("case_grams_sessions_removed", "intake_consultationsession"),
    ("case_grams_sessions_truncated", "intake_consultationsession"),
    ("case_grams_cases_added", "intake_case"),
    ("case_grams_cases_changed", "intake_case"),
    ("case_grams_cases_removed", "intake_case"),
    ("case_grams_cases_truncated", "intake_case"),
]

FUNCTION_NAMES = [
    "casebook_case_grams_sessions_added()",
    "casebook_case_grams_sessions_changed()",
    "casebook_case_grams_sessions_removed()",
    "casebook_case_grams_sessions_truncated()",
    "casebook_case_grams_cases_added()",
    "casebook_case_grams_cases_changed()",
    "casebook_case_grams_cases_removed()",
    "casebook_case_grams_cases_truncated()",
    "casebook_case_grams_refresh(bigint[])",
    "casebook_case_grams(bigint, text)",
]


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE TABLE intake_case_search_grams (case_id bigint PRIMARY KEY, "
        "grams text[] NOT NULL, desk_id bigint NOT NULL, lead_counselor_id bigint, "
        "confidentiality varchar(16) NOT NULL)"
    )
    schema_editor.execute(REFRESH)
    # The backfill: every case in one statement, the index built afterwards (faster than
    # keeping it row by row), then the triggers.
    schema_editor.execute(
        "INSERT INTO intake_case_search_grams "
        "(case_id, grams, desk_id, lead_counselor_id, confidentiality) "
        "SELECT c.id, casebook_case_grams(c.id, c.title), c.desk_id, c.lead_counselor_id, "
        "c.confidentiality FROM intake_case c"
    )
    schema_editor.execute(
        "CREATE INDEX case_search_grams ON intake_case_search_grams USING gin (grams)"
    )
    schema_editor.execute(TRIGGERS)
    schema_editor.execute("ANALYZE intake_case_search_grams")


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for trigger, table in TRIGGER_NAMES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    for function in FUNCTION_NAMES:
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}")
    schema_editor.execute("DROP TABLE IF EXISTS intake_case_search_grams")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("intake", "0015_session_desk_required_and_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="CaseSearchGrams",
            fields=[
                (
                    "case",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="intake.case",
                    ),
                ),
                ("grams", casebook.intake.models.search.TextArrayField()),
                (
                    "desk",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="accounts.desk",
                    ),
                ),
                (
                    "lead_counselor",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("confidentiality", models.CharField(max_length=16)),
            ],
            options={
                "db_table": "intake_case_search_grams",
                "managed": False,
            },
        ),
        migrations.RunPython(create, drop, elidable=False),
    ]
