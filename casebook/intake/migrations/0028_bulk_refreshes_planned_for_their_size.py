"""The kept rows' refreshes (`intake_session_sets`, `intake_case_search_grams`) planned for the
number of rows a statement wrote when it wrote many (docs/performance.md, "The FY KPI report",
"Bulk writes: the refreshes planned for their size").

A PL/pgSQL function caches the plans of its statements for the connection, and after five
calls may keep one plan for every call, made for the tables as they were then. The load
generator seeds the demo first (a few hundred sessions, refreshes of one or two rows each),
then writes a million sessions and their topics and counselors in one `COPY` each: the
refresh of the million then ran the plan cached for a table of a few hundred rows, a
sequential scan that compared each row with each of the million ids (`= ANY(array)` with the
array a parameter is searched element by element), and the counselors' `COPY` did not end in
an hour. Now a refresh of more than `BULK` rows runs the same statements through `EXECUTE …
USING`, planned for this call: the array is a constant to the planner (hashed, or read through
the index, in the planner's choice at its real size). A refresh of fewer rows, every service's
write, keeps the cached plans.

The statements are those of `0026_session_sets`, `0018_case_search_opened_at` and
`0027_case_grams_sessions_added_in_place`, unchanged.
"""

from __future__ import annotations

from django.db import migrations

# More rows than this in one statement: a bulk write (the load generator's COPY, a large
# import), planned for its size.
BULK = 500


def _cached(statements: list[str], ids: str) -> str:
    """PL/pgSQL running `statements` (SQL with `$1` for the array `ids`; a `SELECT` only locks
    rows) as they were written before, their plans cached."""
    return "\n".join(
        ("PERFORM" + sql.removeprefix("SELECT") if sql.startswith("SELECT") else sql).replace(
            "$1", ids
        )
        + ";"
        for sql in statements
    )


def _both_ways(statements: list[str], ids: str) -> str:
    """The same with cached plans for up to BULK ids, and planned for this call beyond."""
    planned = "\n".join(f"EXECUTE $statement${sql}$statement$ USING {ids};" for sql in statements)
    return f"""
    IF cardinality({ids}) > {BULK} THEN
        {planned}
    ELSE
        {_cached(statements, ids)}
    END IF;"""


SESSION_SETS = [
    "SELECT 1 FROM intake_session_sets WHERE session_id = ANY($1) ORDER BY session_id FOR UPDATE",
    """DELETE FROM intake_session_sets
    WHERE session_id = ANY($1)
      AND NOT EXISTS (SELECT 1 FROM intake_consultationsession s WHERE s.id = session_id)""",
    """INSERT INTO intake_session_sets AS kept
        (session_id, started_at, desk_id, client_id, mode, office_id, topic_ids, counselor_ids)
    SELECT s.id, s.started_at, s.desk_id, s.client_id, s.mode, s.office_id,
        ARRAY(SELECT t.topic_id FROM intake_consultationsession_topics t
              WHERE t.consultationsession_id = s.id ORDER BY t.topic_id),
        ARRAY(SELECT c.user_id FROM intake_consultationsession_counselors c
              WHERE c.consultationsession_id = s.id ORDER BY c.user_id)
    FROM intake_consultationsession s WHERE s.id = ANY($1) ORDER BY s.id
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
                          EXCLUDED.counselor_ids)""",
]

CASE_GRAMS = [
    "SELECT 1 FROM intake_case_search_grams WHERE case_id = ANY($1) ORDER BY case_id FOR UPDATE",
    """DELETE FROM intake_case_search_grams
    WHERE case_id = ANY($1)
      AND NOT EXISTS (SELECT 1 FROM intake_case c WHERE c.id = case_id)""",
    """INSERT INTO intake_case_search_grams AS kept
        (case_id, grams, desk_id, lead_counselor_id, confidentiality, opened_month)
    SELECT c.id, casebook_case_grams(c.id, c.title), c.desk_id, c.lead_counselor_id,
           c.confidentiality, casebook_opened_month(c.opened_at)
    FROM intake_case c WHERE c.id = ANY($1) ORDER BY c.id
    ON CONFLICT (case_id) DO UPDATE SET
        grams = EXCLUDED.grams,
        desk_id = EXCLUDED.desk_id,
        lead_counselor_id = EXCLUDED.lead_counselor_id,
        confidentiality = EXCLUDED.confidentiality,
        opened_month = EXCLUDED.opened_month
    WHERE (kept.grams, kept.desk_id, kept.lead_counselor_id, kept.confidentiality,
           kept.opened_month)
        IS DISTINCT FROM (EXCLUDED.grams, EXCLUDED.desk_id, EXCLUDED.lead_counselor_id,
                          EXCLUDED.confidentiality, EXCLUDED.opened_month)""",
]

# The sessions' insert adds their summaries' grams to their cases' rows (`0027`); `$1` is the
# array of the inserted sessions' cases.
GRAMS_ADDED = [
    "SELECT 1 FROM intake_case_search_grams WHERE case_id = ANY($1) ORDER BY case_id FOR UPDATE",
    """UPDATE intake_case_search_grams AS kept
    SET grams = ARRAY(SELECT unnest(kept.grams) UNION SELECT unnest(brought.grams))
    FROM (
        SELECT a.case_id, array_agg(DISTINCT gram) AS grams
        FROM added a, unnest(casebook_search_grams(a.summary)) AS gram
        GROUP BY a.case_id
    ) AS brought
    WHERE kept.case_id = brought.case_id AND NOT kept.grams @> brought.grams""",
]


def _functions(bulk: bool) -> str:
    def body(statements: list[str], ids: str) -> str:
        return _both_ways(statements, ids) if bulk else _cached(statements, ids)

    def refresh(name: str, ids: str, statements: list[str]) -> str:
        return f"""
CREATE OR REPLACE FUNCTION {name}({ids} bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality({ids}) = 0 THEN
        RETURN;
    END IF;
    {body(statements, ids)}
END
$$;
"""

    refreshes = refresh("casebook_session_sets_refresh", "session_ids", SESSION_SETS) + refresh(
        "casebook_case_grams_refresh", "case_ids", CASE_GRAMS
    )
    return (
        refreshes
        + f"""
CREATE OR REPLACE FUNCTION casebook_case_grams_sessions_added() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    case_ids bigint[] := ARRAY(SELECT DISTINCT case_id FROM added);
BEGIN
    {body(GRAMS_ADDED, "case_ids")}
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
    )


def planned_for_their_size(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_functions(bulk=True))


def cached_only(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_functions(bulk=False))


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0027_case_grams_sessions_added_in_place"),
    ]

    operations = [
        migrations.RunPython(planned_for_their_size, cached_only, elidable=False),
    ]
