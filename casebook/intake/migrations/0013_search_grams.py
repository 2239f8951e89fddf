"""Japanese search served by an index (docs/performance.md, "Search").

On PostgreSQL: `casebook_search_key(text)`, the search key of `common.japanese.search_key`
written in SQL, `casebook_search_grams(text)`, its distinct characters and pairs of
characters, and a GIN index on the grams of each searched column. The indexes are built from
the rows already stored (the backfill) and kept by PostgreSQL on every write, whoever writes
(services, the admin, bulk loads): nothing to maintain by hand. Other databases search with
LIKE (`casebook.common.search`) and get nothing here.
"""

from __future__ import annotations

from django.db import migrations

HIRAGANA = "".join(chr(code) for code in range(0x3041, 0x3097))
KATAKANA = "".join(chr(code + 0x60) for code in range(0x3041, 0x3097))

# The key of `common.japanese.search_key`: NFKC, hiragana onto katakana, lower case, no spaces.
KEY = (
    "regexp_replace(lower(translate(normalize({value}, NFKC), "
    f"'{HIRAGANA}', '{KATAKANA}')), '\\s+', '', 'g')"
)

# The grams: the characters, then the pairs at odd and at even offsets (each regexp_replace
# cuts the key into pairs, the second one a character further on). Built by the string and
# regular expression functions alone: a loop or a generate_series per row made the index
# build a hundred times slower (docs/performance.md, "Search").
FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION casebook_search_key(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN {KEY.format(value="value")};

CREATE OR REPLACE FUNCTION casebook_search_grams(value text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    k text := {KEY.format(value="value")};
BEGIN
    RETURN array_remove(
        string_to_array(k, NULL)
        || string_to_array(regexp_replace(k, '(..)', '\\1 ', 'g'), ' ')
        || string_to_array(regexp_replace(substr(k, 2), '(..)', '\\1 ', 'g'), ' '),
        ''
    );
END
$$;
"""

# (index, table, column): what the case, client and session searches read.
INDEXES = [
    ("case_title_grams", "intake_case", "title"),
    ("client_name_grams", "intake_client", "name"),
    ("client_name_kana_grams", "intake_client", "name_kana"),
    ("session_summary_grams", "intake_consultationsession", "summary"),
    ("session_advice_grams", "intake_consultationsession", "advice"),
]


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTIONS)
    for name, table, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"USING gin (casebook_search_grams({column}))"
        )


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    schema_editor.execute("DROP FUNCTION IF EXISTS casebook_search_grams(text)")
    schema_editor.execute("DROP FUNCTION IF EXISTS casebook_search_key(text)")


class Migration(migrations.Migration):
    dependencies = [("intake", "0012_board_order")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
