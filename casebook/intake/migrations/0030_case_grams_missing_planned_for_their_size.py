"""The sessions' insert finds the cases that have no search row yet with a plan made for the
number of cases it wrote (docs/performance.md, "Bulk writes: the refreshes planned for their
size").

`0028` planned the sessions' grams update for its size but left one statement of the same
trigger cached: the search for the inserted sessions' cases that have no row in
`intake_case_search_grams` (an anti-join, run inside `ARRAY(…)`). The load generator seeds the
demo first, in the same connection, so that statement kept the plan made for a table of a few
hundred rows: a sequential scan of the grams table for each case. The million sessions' `COPY`
then read the 200,000 cases' grams over and over and did not end in ten minutes.

Now the trigger asks that question of its distinct case ids, through `EXECUTE … USING` beyond
`BULK` ids as `0028` does: planned for this call (an index probe per case, or one hash).
"""

from __future__ import annotations

import importlib

from django.db import migrations

bulk = importlib.import_module(
    "casebook.intake.migrations.0028_bulk_refreshes_planned_for_their_size"
)

# The cases of `$1` that have no search row (their row is then built whole).
MISSING = """SELECT ARRAY(
        SELECT k FROM unnest($1) AS k
        WHERE NOT EXISTS (SELECT 1 FROM intake_case_search_grams g WHERE g.case_id = k)
    )"""


def _sessions_added() -> str:
    return f"""
CREATE OR REPLACE FUNCTION casebook_case_grams_sessions_added() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    case_ids bigint[] := ARRAY(SELECT DISTINCT case_id FROM added);
    missing bigint[];
BEGIN
    {bulk._both_ways(bulk.GRAMS_ADDED, "case_ids")}
    IF cardinality(case_ids) > {bulk.BULK} THEN
        EXECUTE $statement${MISSING}$statement$ INTO missing USING case_ids;
    ELSE
        missing := {MISSING.removeprefix("SELECT ").replace("$1", "case_ids")};
    END IF;
    PERFORM casebook_case_grams_refresh(missing);
    RETURN NULL;
END
$$;
"""


def missing_planned_for_their_size(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_sessions_added())


def missing_cached(apps, schema_editor) -> None:
    bulk.planned_for_their_size(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0029_case_figures_indexes_cover"),
    ]

    operations = [
        migrations.RunPython(missing_planned_for_their_size, missing_cached, elidable=False),
    ]
