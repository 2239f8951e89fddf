"""The search rows hold the desks each case is shared with, in their GIN index, so that a
desk's shared matches are read from the word's rows as its own desk's are (docs/performance.md,
"The shared cases' matches").

`0031` read a desk's shared cases' matches by fetching every shared case's row by its id and
checking its grams: each row's array of grams read whole for the check (about 1.5 ms for the
subcontracting desk's 334 shares on the decade, in each of the search's statements), and more
every year as shares accumulate. Now `shared_desk_ids` (the distinct desks of the case's
`intake_caseshare` rows, in order) is the index's fifth column, and the share branch is one
more condition of the same index scan: `shared_desk_ids && <the reader's desks>`.

The column is kept by the same refresh as the rest of the row, and by triggers on
`intake_caseshare` that rewrite only this column of the cases whose shares changed (a share
does not change a case's words, and refreshing those would read every session's summary).
PostgreSQL only; other databases have no such table.
"""

from __future__ import annotations

import importlib

from django.db import migrations

import casebook.intake.models.search

bulk = importlib.import_module(
    "casebook.intake.migrations.0028_bulk_refreshes_planned_for_their_size"
)

# The distinct desks a case (`{case}`, a SQL expression of its id) is shared with, in order.
SHARED_DESKS = """ARRAY(
        SELECT DISTINCT s.desk_id FROM intake_caseshare s WHERE s.case_id = {case}
        ORDER BY s.desk_id
    )"""

# `0028`'s refresh with the shared desks computed as the other columns are.
CASE_GRAMS = [
    bulk.CASE_GRAMS[0],
    bulk.CASE_GRAMS[1],
    f"""INSERT INTO intake_case_search_grams AS kept
        (case_id, grams, desk_id, lead_counselor_id, confidentiality, opened_month,
         shared_desk_ids)
    SELECT c.id, casebook_case_grams(c.id, c.title), c.desk_id, c.lead_counselor_id,
           c.confidentiality, casebook_opened_month(c.opened_at),
           {SHARED_DESKS.format(case="c.id")}
    FROM intake_case c WHERE c.id = ANY($1) ORDER BY c.id
    ON CONFLICT (case_id) DO UPDATE SET
        grams = EXCLUDED.grams,
        desk_id = EXCLUDED.desk_id,
        lead_counselor_id = EXCLUDED.lead_counselor_id,
        confidentiality = EXCLUDED.confidentiality,
        opened_month = EXCLUDED.opened_month,
        shared_desk_ids = EXCLUDED.shared_desk_ids
    WHERE (kept.grams, kept.desk_id, kept.lead_counselor_id, kept.confidentiality,
           kept.opened_month, kept.shared_desk_ids)
        IS DISTINCT FROM (EXCLUDED.grams, EXCLUDED.desk_id, EXCLUDED.lead_counselor_id,
                          EXCLUDED.confidentiality, EXCLUDED.opened_month,
                          EXCLUDED.shared_desk_ids)""",
]

# The shared desks of the cases `$1` written anew, rows already right left alone; the rows
# are locked in the refresh's order first, so a share and a session of one case wait for
# each other instead of deadlocking.
SHARES = [
    bulk.CASE_GRAMS[0],
    f"""UPDATE intake_case_search_grams AS kept
    SET shared_desk_ids = {SHARED_DESKS.format(case="kept.case_id")}
    WHERE kept.case_id = ANY($1)
      AND kept.shared_desk_ids IS DISTINCT FROM {SHARED_DESKS.format(case="kept.case_id")}""",
]


def _refresh(name: str, statements: list[str]) -> str:
    """A refresh function of the search rows: `statements` run for its cases, planned for
    their size beyond `BULK` (`0028`)."""
    return f"""
CREATE OR REPLACE FUNCTION {name}(case_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(case_ids) = 0 THEN
        RETURN;
    END IF;
    {bulk._both_ways(statements, "case_ids")}
END
$$;
"""


# The shares' statement triggers: the name, the event, its transition tables and the cases
# whose shares it changed.
SHARE_TRIGGERS = [
    ("added", "INSERT", "NEW TABLE AS added", "SELECT DISTINCT case_id FROM added"),
    (
        "changed",
        "UPDATE",
        "OLD TABLE AS before_change NEW TABLE AS after_change",
        "SELECT case_id FROM before_change UNION SELECT case_id FROM after_change",
    ),
    ("removed", "DELETE", "OLD TABLE AS removed", "SELECT DISTINCT case_id FROM removed"),
]


def _share_trigger(name: str, event: str, tables: str, cases: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION casebook_case_grams_shares_{name}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM casebook_case_shares_refresh(ARRAY({cases}));
    RETURN NULL;
END
$$;

CREATE TRIGGER case_grams_shares_{name} AFTER {event} ON intake_caseshare
REFERENCING {tables}
FOR EACH STATEMENT EXECUTE FUNCTION casebook_case_grams_shares_{name}();
"""


FORWARD = f"""
ALTER TABLE intake_case_search_grams
    ADD COLUMN shared_desk_ids bigint[] NOT NULL DEFAULT '{{}}';
UPDATE intake_case_search_grams AS kept SET shared_desk_ids = shared.desk_ids
FROM (
    SELECT case_id, array_agg(DISTINCT desk_id ORDER BY desk_id) AS desk_ids
    FROM intake_caseshare GROUP BY case_id
) AS shared
WHERE kept.case_id = shared.case_id;

{_refresh("casebook_case_grams_refresh", CASE_GRAMS)}
{_refresh("casebook_case_shares_refresh", SHARES)}
{"".join(_share_trigger(*trigger) for trigger in SHARE_TRIGGERS)}
CREATE OR REPLACE FUNCTION casebook_case_grams_shares_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE intake_case_search_grams SET shared_desk_ids = '{{}}'
    WHERE cardinality(shared_desk_ids) > 0;
    RETURN NULL;
END
$$;

CREATE TRIGGER case_grams_shares_truncated AFTER TRUNCATE ON intake_caseshare
FOR EACH STATEMENT EXECUTE FUNCTION casebook_case_grams_shares_truncated();

DROP INDEX IF EXISTS case_search_grams;
CREATE INDEX case_search_grams ON intake_case_search_grams
    USING gin (grams, opened_month, desk_id, lead_counselor_id, shared_desk_ids);
ANALYZE intake_case_search_grams;
"""

BACKWARD = f"""
{
    "".join(
        f"DROP TRIGGER IF EXISTS case_grams_shares_{name} ON intake_caseshare;\n"
        f"DROP FUNCTION IF EXISTS casebook_case_grams_shares_{name}();\n"
        for name in ("added", "changed", "removed", "truncated")
    )
}
DROP FUNCTION IF EXISTS casebook_case_shares_refresh(bigint[]);
{_refresh("casebook_case_grams_refresh", bulk.CASE_GRAMS)}
DROP INDEX IF EXISTS case_search_grams;
ALTER TABLE intake_case_search_grams DROP COLUMN shared_desk_ids;
CREATE INDEX case_search_grams ON intake_case_search_grams
    USING gin (grams, opened_month, desk_id, lead_counselor_id);
"""


def with_shared_desks(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def without_shared_desks(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0031_case_search_grams_by_desk_and_lead"),
    ]

    operations = [
        migrations.AddField(
            model_name="casesearchgrams",
            name="shared_desk_ids",
            field=casebook.intake.models.search.IdArrayField(),
        ),
        migrations.RunPython(with_shared_desks, without_shared_desks, elidable=False),
    ]
