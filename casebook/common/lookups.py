"""`<field>__in_ids`: an integer column among a list of ids, the ids passed to the database once.

The lists read each set of a page (a case's topics, a session's counselors, a case's desk
details) for the page's ids at once. Django's `__in` resolves each id as a possible
expression, prepares it through the field (`get_prep_value`, `get_db_prep_value`) and gives
it a placeholder and a parameter of its own, which psycopg then quotes: about 40 Python calls
an id, more than half of the Python of a page of 200 cases (docs/performance.md, "The lists'
sets read by one array of ids"). `in_ids` checks the ids are integers once (in C, as a
64-bit array) and writes them as one parameter: `= ANY(%s::<type>[])` with the array's text
on PostgreSQL (the condition PostgreSQL makes of an `IN` list, so the plan is the same), an
`IN (%s, ...)` elsewhere.

Use `in_ids("case__id", ids)` (a `Q`). The lookup is registered on the integer fields (the
primary keys among them): a foreign key is named by the key it refers to (`case__id`, which
Django reads from the foreign key's own column, no join), as Django checks each item of a
value given to a relation as a possible model instance. A list given to
`filter(case__id__in_ids=...)` works too, but Django walks it item by item before the
lookup sees it, where `in_ids` gives it an array that it passes as it is.
"""

from __future__ import annotations

import operator
from array import array
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import IntegerField, Lookup, Q


@IntegerField.register_lookup
class InIds(Lookup):
    """The column among the ids (a primary key, or an integer column)."""

    lookup_name = "in_ids"
    # The ids are checked as integers once here, not prepared one by one by the field.
    prepare_rhs = False

    def get_prep_lookup(self) -> tuple[int, ...]:
        if hasattr(self.rhs, "resolve_expression"):
            raise TypeError("in_ids takes ids, not an expression")
        if isinstance(self.rhs, array) and self.rhs.typecode == "q":
            return tuple(self.rhs)
        # `operator.index` refuses what is not an integer (a text, a float, None).
        return tuple(map(operator.index, self.rhs))

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        if not self.rhs:
            # No id matches nothing: no query, as an empty `__in`.
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            # The array's text: one string parameter, whatever the number of ids (they are
            # integers, so the text holds nothing else), cast to the column's type.
            kind = self.lhs.output_field.cast_db_type(connection)
            return f"{lhs} = ANY(%s::{kind}[])", (*lhs_params, array_text(self.rhs))
        placeholders = ", ".join(["%s"] * len(self.rhs))
        return f"{lhs} IN ({placeholders})", (*lhs_params, *self.rhs)


def in_ids(lookup: str, ids: Iterable[int]) -> Q:
    """`Q(<lookup>__in_ids=ids)` with the ids as one 64-bit array (a `TypeError` for an id
    that is not an integer), which Django passes to the lookup as it is, where it walks a
    list or a tuple item by item."""
    return Q(**{f"{lookup}__{InIds.lookup_name}": array("q", ids)})


class OverlapsIds(InIds):
    """An array column of ids (`bigint[]`, PostgreSQL only) holding one of the ids: `column &&
    %s::bigint[]`, the ids checked and passed as `InIds` passes them, served by the column's
    GIN index. Registered by the fields that hold such arrays
    (`intake.models.search.IdArrayField`)."""

    lookup_name = "overlaps_ids"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        if not self.rhs:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} && %s::bigint[]", (*lhs_params, array_text(self.rhs))


def array_text(ids: Iterable[int]) -> str:
    """The ids as PostgreSQL's text of an array, as `in_ids` and a prepared read of ids
    (`common.prepared`) pass them: `operator.index` refuses what is not an integer (a text, a
    float, None), so the text holds nothing but the numbers."""
    return "{" + ",".join(map(str, map(operator.index, ids))) + "}"
