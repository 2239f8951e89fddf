"""The search rows' GIN index also holds each row's desk and lead, so that a reader's matches
are read from its own desks' rows (docs/performance.md, "A word other desks hold").

A word that many cases of other desks hold (「特許」 at the IP desk, searched from the
subcontracting desk) was read as every row holding it, each row then checked against the
reader's rule: 10,410 rows on the decade for no match, and more every year. With the desk and
the lead as the index's third and fourth columns (`btree_gin`, a trusted extension that ships
with PostgreSQL), one index scan intersects the word's rows with the reader's desks, and
another with the cases it leads (`policy.visible_search_row_branches`).

PostgreSQL only; other databases have no such table.
"""

from __future__ import annotations

from django.db import migrations

FORWARD = """
CREATE EXTENSION IF NOT EXISTS btree_gin;
DROP INDEX IF EXISTS case_search_grams;
CREATE INDEX case_search_grams ON intake_case_search_grams
    USING gin (grams, opened_month, desk_id, lead_counselor_id);
"""

BACKWARD = """
DROP INDEX IF EXISTS case_search_grams;
CREATE INDEX case_search_grams ON intake_case_search_grams USING gin (grams, opened_month);
"""


def by_desk_and_lead(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def by_words_and_months(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0030_case_grams_missing_planned_for_their_size"),
    ]

    operations = [
        migrations.RunPython(by_desk_and_lead, by_words_and_months, elidable=False),
    ]
