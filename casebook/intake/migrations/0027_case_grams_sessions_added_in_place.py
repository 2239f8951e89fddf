"""A session's insert adds its summary's grams to its case's row of grams instead of making the
row anew (docs/performance.md, "Session create: the statements compiled once, the answer
rendered by its plan").

`intake_case_search_grams` holds the distinct grams of a case's title and of all its sessions'
summaries (`0016_case_search_grams`). On a session's insert the trigger made the case's row
anew: every summary of the case split into grams again, so logging a session cost in
proportion to the sessions the case already had (39 ms for a case of 512 sessions on the
decade copy, most of that request's time). An insert only adds grams: the row's grams and the
new summaries' grams, united, are the grams a full refresh would find, as a set (the array's
order is no part of the row's meaning; a full refresh's is arbitrary too). The row is written
only when the new summaries bring a gram it lacks. A case without a row yet (none should be:
a case's insert makes it) is made in full, as before. The case's row is locked first, as the
refresh locks it, so that two inserts into one case add to each other's grams.

Updates, deletes and truncations still make the rows anew: a gram may go with a summary only
when no other summary and not the title holds it. Other databases have no such table.
"""

from __future__ import annotations

from django.db import migrations

ADDED_IN_PLACE = """
CREATE OR REPLACE FUNCTION casebook_case_grams_sessions_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM intake_case_search_grams
    WHERE case_id = ANY(ARRAY(SELECT DISTINCT case_id FROM added))
    ORDER BY case_id FOR UPDATE;
    UPDATE intake_case_search_grams AS kept
    SET grams = ARRAY(SELECT unnest(kept.grams) UNION SELECT unnest(brought.grams))
    FROM (
        SELECT a.case_id, array_agg(DISTINCT gram) AS grams
        FROM added a, unnest(casebook_search_grams(a.summary)) AS gram
        GROUP BY a.case_id
    ) AS brought
    WHERE kept.case_id = brought.case_id AND NOT kept.grams @> brought.grams;
    PERFORM casebook_case_grams_refresh(ARRAY(
        SELECT DISTINCT a.case_id FROM added a
        WHERE NOT EXISTS (
            SELECT 1 FROM intake_case_search_grams k WHERE k.case_id = a.case_id
        )
    ));
    RETURN NULL;
END
$$;
"""

# As `0016_case_search_grams` made it.
MADE_ANEW = """
CREATE OR REPLACE FUNCTION casebook_case_grams_sessions_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM casebook_case_grams_refresh(ARRAY(SELECT DISTINCT case_id FROM added));
    RETURN NULL;
END
$$;
"""


def add_in_place(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(ADDED_IN_PLACE)


def make_anew(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(MADE_ANEW)


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0026_session_sets"),
    ]

    operations = [
        migrations.RunPython(add_in_place, make_anew, elidable=False),
    ]
