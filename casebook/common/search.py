"""Japanese text search served by an index, for one- and two-character words too
(docs/performance.md, "Search").

On PostgreSQL each searched column has a GIN index on `casebook_search_grams(column)`: the
distinct characters and pairs of adjacent characters of the column's search key (NFKC,
hiragana folded onto katakana, lower case, no spaces: `japanese.search_key`, written once
more in SQL by the migration that creates the function). A word of one or two characters is
one gram, so the index answers it exactly; a longer word needs every pair it contains, and
the few rows that have them all are checked for the whole word. Trigram indexes cannot serve
「特許」 or 「中島」: they have no trigram.

Elsewhere (SQLite, the default test database) the same condition is a LIKE in both kana.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import BooleanField, Func, Q, QuerySet, Subquery

from casebook.common.japanese import normalize_text, search_key, to_katakana

# The longest gram: a word up to this length is one gram and found exactly by its index.
GRAM_LENGTH = 2
_KATAKANA_START, _KATAKANA_END = 0x30A1, 0x30F6
_HIRAGANA_OFFSET = 0x60


def to_hiragana(value: str) -> str:
    return "".join(
        chr(ord(ch) - _HIRAGANA_OFFSET) if _KATAKANA_START <= ord(ch) <= _KATAKANA_END else ch
        for ch in value
    )


def search_grams(key: str) -> list[str]:
    """The grams a search key must all have: itself up to two characters, else its pairs."""
    if len(key) <= GRAM_LENGTH:
        return [key] if key else []
    return sorted({key[i : i + 2] for i in range(len(key) - 1)})


class GramsContain(Func):
    """`casebook_search_grams(column) @> grams`: served by the column's GIN index."""

    conditional = True
    output_field = BooleanField()
    # How the column's grams are read: computed from its text by the indexed function.
    grams_of = "casebook_search_grams({})"

    def __init__(self, column: str, grams: list[str]) -> None:
        super().__init__(column)
        self.grams = grams

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"{self.grams_of.format(sql)} @> %s::text[]", [*params, self.grams]


class HoldsGrams(GramsContain):
    """`column @> grams` on a column that stores its grams (a `text[]` with a GIN index)."""

    grams_of = "{}"


class HoldsAny(GramsContain):
    """`column && values` on a `text[]` column in a GIN index: rows holding one of `values`."""

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"{sql} && %s::text[]", [*params, self.grams]


class KeyContains(Func):
    """`strpos(casebook_search_key(column), key) > 0`: the whole word, on the few candidates."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, column: str, key: str) -> None:
        super().__init__(column)
        self.key = key

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"strpos(casebook_search_key({sql}), %s) > 0", [*params, self.key]


class AmongIds(Func):
    """`column = ANY(ARRAY(subquery))`: the ids are read once (an InitPlan) and each is then
    found through the column's own index."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, column: str, ids: QuerySet) -> None:
        super().__init__(column, Subquery(ids.order_by()))

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        column, column_params = compiler.compile(self.source_expressions[0])
        ids, ids_params = compiler.compile(self.source_expressions[1])
        return f"{column} = ANY(ARRAY{ids})", [*column_params, *ids_params]


def uses_gram_index() -> bool:
    return connection.vendor == "postgresql"


def text_matches(column: str, text: str) -> Q:
    """Rows whose `column` holds `text`, kana folded (hiragana = katakana); nothing for a
    text without a searchable character. The column must have its gram index on PostgreSQL
    (migration `intake/0013_search_grams`)."""
    key = search_key(text)
    if not key:
        return Q(pk__in=[])
    if uses_gram_index():
        condition = Q(GramsContain(column, search_grams(key)))
        if len(key) > GRAM_LENGTH:
            condition &= Q(KeyContains(column, key))
        return condition
    plain = normalize_text(text)
    variants = {to_katakana(plain), to_hiragana(to_katakana(plain))}
    condition = Q(pk__in=[])
    for variant in variants:
        condition |= Q(**{f"{column}__icontains": variant})
    return condition


def stored_grams_hold(column: str, text: str) -> Q:
    """Rows whose stored grams (`column`, a `text[]` of grams, PostgreSQL only) include every
    gram of `text`: all the rows that hold the word, and for a word of three characters or
    more some that only hold its pairs in different places (the caller checks the word)."""
    key = search_key(text)
    if not key:
        return Q(pk__in=[])
    return Q(HoldsGrams(column, search_grams(key)))


def stored_values_overlap(column: str, values: list[str]) -> Q:
    """Rows whose `column` (a `text[]` in a GIN index, PostgreSQL only) holds one of
    `values`: in the same index as the grams, one index scan keeps the rows that have both."""
    return Q(HoldsAny(column, values))


def among_ids(column: str, ids: QuerySet) -> Q:
    """Rows whose `column` is one of `ids` (a queryset of one column). On PostgreSQL the set is
    an array built once, so the rows are fetched by index: the planner cannot tell how many
    rows a gram lookup returns, and for `IN (subquery)` it may hash the set and scan the whole
    table to join it (docs/performance.md, "Search")."""
    if uses_gram_index():
        return Q(AmongIds(column, ids))
    return Q(**{f"{column}__in": ids})


def text_contained(column: str, text: str) -> Q:
    """The same rule as `text_matches`, checked on each row rather than looked up in the gram
    index: for a walk through rows already read in another order, where most rows match
    (`intake.selectors.case_search_page`)."""
    key = search_key(text)
    if key and uses_gram_index():
        return Q(KeyContains(column, key))
    return text_matches(column, text)
