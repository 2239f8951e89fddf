"""The clients of a one- or two-character word, read in reading order from an index
(docs/performance.md, "Search", "A short word's clients in reading order").

A word of one or two characters is one gram, and its clients were found through the GIN
indexes of `0013_search_grams` (a union of the name's and the reading's), then every match
read and sorted by reading to keep a page: 5,116 clients for 「中」 on the decade copy, for 50
shown. Here `intake_client_search_grams` holds one row per distinct gram of a client's name
and reading (`casebook_search_grams` of each, together), with a copy of the client's reading
(`name_kana_search`) and its id, under a btree on `(gram, reading, client_id)`: a gram's
clients are one range of that index, already in the clients' order (`Client.Meta.ordering`),
and a page stops reading once it is full.

Every writer keeps it, whoever writes (services, the admin, the legacy import, the load
generator's COPY, raw SQL): statement triggers on `intake_client` add the rows of inserted
clients, replace those of clients whose name, reading or reading key changed, remove those of
deleted clients and empty the table on a truncate. The rows are computed from the old and the
new values (the grams function is immutable), so they are found by the primary key and no
second index is kept. Other databases get nothing here (the search uses LIKE there).
"""

from __future__ import annotations

import django.db.models.deletion
from django.db import migrations, models

# The rows of the clients `{row}` of `{source}`: each distinct gram of the name and of the
# reading (`0013_search_grams`), with the client's reading key and id.
ROWS_OF = """
SELECT DISTINCT g.gram, {row}.name_kana_search, {row}.id
FROM {source}
CROSS JOIN LATERAL unnest(
    casebook_search_grams({row}.name) || casebook_search_grams({row}.name_kana)
) AS g(gram)
"""

# The clients of an update whose name, reading or reading key changed.
CHANGED = """
WHERE (a.name, a.name_kana, a.name_kana_search)
    IS DISTINCT FROM (b.name, b.name_kana, b.name_kana_search)
"""
BOTH = "before_change b JOIN after_change a USING (id)"

# The rows are inserted in the key's order: a bulk insert (the load generator's COPY) then
# fills the key's pages in turn rather than at random (docs/performance.md).
TRIGGERS = f"""
CREATE OR REPLACE FUNCTION casebook_client_grams_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO intake_client_search_grams (gram, reading, client_id)
    {ROWS_OF.format(row="c", source="added c")}
    ORDER BY 1, 2, 3
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION casebook_client_grams_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM intake_client_search_grams kept
    USING ({ROWS_OF.format(row="b", source=BOTH)} {CHANGED}) AS gone (gram, reading, client_id)
    WHERE (kept.gram, kept.reading, kept.client_id) = (gone.gram, gone.reading, gone.client_id);
    INSERT INTO intake_client_search_grams (gram, reading, client_id)
    {ROWS_OF.format(row="a", source=BOTH)} {CHANGED}
    ORDER BY 1, 2, 3
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION casebook_client_grams_removed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM intake_client_search_grams kept
    USING ({ROWS_OF.format(row="c", source="removed c")}) AS gone (gram, reading, client_id)
    WHERE (kept.gram, kept.reading, kept.client_id) = (gone.gram, gone.reading, gone.client_id);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION casebook_client_grams_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE intake_client_search_grams;
    RETURN NULL;
END
$$;

CREATE TRIGGER client_grams_added AFTER INSERT ON intake_client
REFERENCING NEW TABLE AS added
FOR EACH STATEMENT EXECUTE FUNCTION casebook_client_grams_added();

CREATE TRIGGER client_grams_changed AFTER UPDATE ON intake_client
REFERENCING OLD TABLE AS before_change NEW TABLE AS after_change
FOR EACH STATEMENT EXECUTE FUNCTION casebook_client_grams_changed();

CREATE TRIGGER client_grams_removed AFTER DELETE ON intake_client
REFERENCING OLD TABLE AS removed
FOR EACH STATEMENT EXECUTE FUNCTION casebook_client_grams_removed();

CREATE TRIGGER client_grams_truncated AFTER TRUNCATE ON intake_client
FOR EACH STATEMENT EXECUTE FUNCTION casebook_client_grams_truncated();
"""

TRIGGER_NAMES = [
    "client_grams_added",
    "client_grams_changed",
    "client_grams_removed",
    "client_grams_truncated",
]

FUNCTION_NAMES = [
    "casebook_client_grams_added()",
    "casebook_client_grams_changed()",
    "casebook_client_grams_removed()",
    "casebook_client_grams_truncated()",
]


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    # `reading` has the type and collation of `intake_client.name_kana_search`: ordered by
    # it and the client id, a gram's rows are in the clients' order (`Client.Meta.ordering`).
    schema_editor.execute(
        "CREATE TABLE intake_client_search_grams (gram text NOT NULL, "
        "reading varchar(200) NOT NULL, client_id bigint NOT NULL)"
    )
    # Writers wait for the backfill (their triggers would write the rows it copies).
    schema_editor.execute("LOCK TABLE intake_client IN SHARE MODE")
    # The backfill: every client in one statement, in the index's order, the index built
    # afterwards (faster than keeping it row by row), then the triggers.
    schema_editor.execute(
        "INSERT INTO intake_client_search_grams (gram, reading, client_id) "
        f"SELECT * FROM ({ROWS_OF.format(row='c', source='intake_client c')})"
        " AS rows ORDER BY 1, 2, 3"
    )
    schema_editor.execute(
        "ALTER TABLE intake_client_search_grams ADD CONSTRAINT intake_client_search_grams_pkey "
        "PRIMARY KEY (gram, reading, client_id)"
    )
    schema_editor.execute(TRIGGERS)
    # The statistics; `VACUUM` (outside the migration's transaction) sets the visibility map
    # for index-only scans (docs/performance.md).
    schema_editor.execute("ANALYZE intake_client_search_grams")


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for trigger in TRIGGER_NAMES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON intake_client")
    for function in FUNCTION_NAMES:
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}")
    schema_editor.execute("DROP TABLE IF EXISTS intake_client_search_grams")


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0023_case_desk_without_own_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="ClientSearchGram",
            fields=[
                (
                    "id",
                    models.CompositePrimaryKey(
                        "gram", "reading", "client", blank=True, editable=False, serialize=False
                    ),
                ),
                ("gram", models.TextField()),
                ("reading", models.CharField(max_length=200)),
                (
                    "client",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="search_grams",
                        to="intake.client",
                    ),
                ),
            ],
            options={
                "db_table": "intake_client_search_grams",
                "managed": False,
            },
        ),
        migrations.RunPython(create, drop, elidable=False),
    ]
