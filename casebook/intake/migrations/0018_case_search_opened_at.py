"""A search's matches among the newest cases, read without the older ones (docs/performance.md,
"Search").

The web search first looks for a page of matches among the newest cases of the whole table and
reads every match only when those do not fill it. Two indexes keep that first read to the
newest cases, whatever the years hold:

- `intake_case_search_grams.opened_month`, the month (UTC, `YYYY-MM`) the case was opened, on
  its row of grams (kept by the same triggers as the rest of the row) and in the grams' GIN
  index as its second column: one index scan intersects a word's rows with the window's
  months before any row is read. A btree index on the opening date was tried first: the
  planner preferred walking it and checking every row's grams (10,000 arrays for the newest
  10,000 cases) to intersecting it with the GIN index;
- `case_client_opened_at` on `intake_case (client_id, opened_at)`: a matching client's recent
  cases, without its older ones.

On PostgreSQL the rows are copied once with their case's month (200,046 rows on the decade copy;
see docs/performance.md for the time it takes); other databases have no such table.
"""

from __future__ import annotations

import importlib

from django.db import migrations, models

import casebook.intake.models.search

# As in `0016_case_search_grams`, with the opening month and date copied and compared.
REFRESH = """
CREATE OR REPLACE FUNCTION casebook_opened_month(opened_at timestamptz) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY[to_char(opened_at AT TIME ZONE 'UTC', 'YYYY-MM')]
$$;

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
        (case_id, grams, desk_id, lead_counselor_id, confidentiality, opened_month)
    SELECT c.id, casebook_case_grams(c.id, c.title), c.desk_id, c.lead_counselor_id,
           c.confidentiality, casebook_opened_month(c.opened_at)
    FROM intake_case c WHERE c.id = ANY(case_ids) ORDER BY c.id
    ON CONFLICT (case_id) DO UPDATE SET
        grams = EXCLUDED.grams,
        desk_id = EXCLUDED.desk_id,
        lead_counselor_id = EXCLUDED.lead_counselor_id,
        confidentiality = EXCLUDED.confidentiality,
        opened_month = EXCLUDED.opened_month
    WHERE (kept.grams, kept.desk_id, kept.lead_counselor_id, kept.confidentiality,
           kept.opened_month)
        IS DISTINCT FROM (EXCLUDED.grams, EXCLUDED.desk_id, EXCLUDED.lead_counselor_id,
                          EXCLUDED.confidentiality, EXCLUDED.opened_month);
END
$$;

CREATE OR REPLACE FUNCTION casebook_case_grams_cases_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM casebook_case_grams_refresh(ARRAY(
        SELECT a.id FROM before_change b JOIN after_change a USING (id)
        WHERE (a.title, a.desk_id, a.lead_counselor_id, a.confidentiality, a.opened_at)
            IS DISTINCT FROM (b.title, b.desk_id, b.lead_counselor_id, b.confidentiality,
                              b.opened_at)
    ));
    RETURN NULL;
END
$$;
"""


def add_opened_month(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(REFRESH)
    # The rows are copied with their case's month into a new table and its indexes are built
    # afterwards: faster than an update of every row, which would insert each row's grams in
    # the GIN index once more and leave the table twice its size. Writers wait meanwhile
    # (their triggers write the rows), and the refresh they then run is the new one.
    schema_editor.execute("LOCK TABLE intake_case_search_grams IN EXCLUSIVE MODE")
    schema_editor.execute(
        "CREATE TABLE intake_case_search_grams_next (case_id bigint NOT NULL, "
        "grams text[] NOT NULL, desk_id bigint NOT NULL, lead_counselor_id bigint, "
        "confidentiality varchar(16) NOT NULL, opened_month text[] NOT NULL)"
    )
    schema_editor.execute(
        "INSERT INTO intake_case_search_grams_next "
        "SELECT g.case_id, g.grams, g.desk_id, g.lead_counselor_id, g.confidentiality, "
        "casebook_opened_month(c.opened_at) "
        "FROM intake_case_search_grams g JOIN intake_case c ON c.id = g.case_id "
        "ORDER BY g.case_id"
    )
    schema_editor.execute("DROP TABLE intake_case_search_grams")
    schema_editor.execute(
        "ALTER TABLE intake_case_search_grams_next RENAME TO intake_case_search_grams"
    )
    schema_editor.execute(
        "ALTER TABLE intake_case_search_grams "
        "ADD CONSTRAINT intake_case_search_grams_pkey PRIMARY KEY (case_id)"
    )
    schema_editor.execute(
        "CREATE INDEX case_search_grams ON intake_case_search_grams "
        "USING gin (grams, opened_month)"
    )
    schema_editor.execute("ANALYZE intake_case_search_grams")


def drop_opened_month(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    previous = importlib.import_module("casebook.intake.migrations.0016_case_search_grams")
    schema_editor.execute(previous.REFRESH)
    schema_editor.execute(previous.TRIGGERS.split("CREATE TRIGGER", 1)[0])
    schema_editor.execute("DROP INDEX case_search_grams")
    schema_editor.execute("ALTER TABLE intake_case_search_grams DROP COLUMN opened_month")
    schema_editor.execute(
        "CREATE INDEX case_search_grams ON intake_case_search_grams USING gin (grams)"
    )
    schema_editor.execute("DROP FUNCTION casebook_opened_month(timestamptz)")


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0017_case_board_counts"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["client", "opened_at"], name="case_client_opened_at"),
        ),
        migrations.AddField(
            model_name="casesearchgrams",
            name="opened_month",
            field=casebook.intake.models.search.TextArrayField(),
        ),
        migrations.RunPython(add_opened_month, drop_opened_month, elidable=False),
    ]
