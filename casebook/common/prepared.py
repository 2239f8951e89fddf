"""A read whose statement the ORM compiles once per process and database, then only executed.

Some reads have the same statement on every request but for their values: the user row of a
session (by its id), a login's desk memberships (by the login's id), a page's sets (by the
page's ids, one array on PostgreSQL). Building and compiling their queryset is most of their
Python: about 1,000 calls for the user row, 1,300 for the memberships, 600–700 for each set,
where executing it is a few dozen (docs/performance.md, "Statements compiled once").

`PreparedRead(build)` calls `build` once per database with marker values in place of its
arguments, has the ORM compile the queryset it returns, and finds each marker among the
statement's parameters; a read then executes that statement with the markers replaced by
its arguments, and applies the converters the ORM's compiler would have applied to the
columns. The statement is the ORM's own, so it is the same text and the same parameters the
ORM would send (`tests/common/test_prepared.py` compares them).

What may be prepared: a statement whose shape depends on nothing but the database. Its
arguments may only be values (an id) or lists of ids given to `in_ids` (one array parameter
on PostgreSQL; elsewhere `in_ids` writes one placeholder an id, so the read is built through
the ORM each time). A rule that depends on the reader (the visibility rules of the policy
modules) is never prepared here: its shape changes with the reader's desks and roles.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, ValuesListIterable

# Marker values: negative integers no id takes, distinct per argument, within a 32-bit
# column's range (Django answers a value out of a column's range without a parameter).
_MARKER_BASE = -2_046_381_907


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: tuple[Any, ...]
    # (parameter index, argument index, whether the argument is a list of ids)
    slots: tuple[tuple[int, int, bool], ...]
    converters: dict[int, Any]
    # For a read of model instances: the model and the attribute names of its columns.
    model: Any
    names: tuple[str, ...] | None


class PreparedRead:
    """`build(*args)` (a queryset of values lists, or of plain model instances) executed as the
    statement the ORM compiled once. `ids` names the arguments that are lists of ids."""

    def __init__(
        self, model: type[Model], build: Callable[..., QuerySet], *, ids: Sequence[int] = ()
    ) -> None:
        self._model = model
        self._build = build
        self._ids = frozenset(ids)
        self._statements: dict[str, _Statement | None] = {}

    def __call__(self, *args: Any) -> list[Any]:
        if any(not args[index] for index in self._ids):
            # No id matches nothing, without a query (as `in_ids`, as an empty `__in`).
            return []
        alias = router.db_for_read(self._model)
        if alias not in self._statements:
            markers = [self._marker(index) for index in range(len(args))]
            self._statements[alias] = self._compile(self._build(*markers), alias, len(args))
        statement = self._statements[alias]
        if statement is None:
            return list(self._build(*args))
        return self._execute(statement, alias, args)

    def _marker(self, index: int) -> Any:
        value = _MARKER_BASE - index
        return [value] if index in self._ids else value

    def _compile(self, queryset: QuerySet, alias: str, count: int) -> _Statement | None:
        connection = connections[alias]
        if self._ids and connection.vendor != "postgresql":
            # `in_ids` writes one placeholder an id here: the statement is not fixed.
            return None
        query = queryset.query
        compiler = query.get_compiler(using=alias)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # pragma: no cover - the markers are never empty
            return None
        slots = []
        for position, param in enumerate(params):
            for index in range(count):
                value = _MARKER_BASE - index
                if param == value and index not in self._ids:
                    slots.append((position, index, False))
                elif param == f"{{{value}}}" and index in self._ids:
                    slots.append((position, index, True))
        if {index for _, index, _ in slots} != set(range(count)) or any(
            str(_MARKER_BASE - index) in sql for index in range(count)
        ):
            # An argument written into the text, or not passed at all: not a fixed statement.
            raise ImproperlyConfigured("a prepared read takes its arguments as parameters")
        iterable = queryset._iterable_class
        if iterable is ValuesListIterable:
            model, names = None, None
        elif iterable is ModelIterable and not query.select_related and not query.annotations:
            fields = queryset.model._meta.concrete_fields
            if [col.target for col, _, _ in compiler.select] != list(fields):
                raise ImproperlyConfigured("a prepared read of instances reads every column")
            model, names = queryset.model, tuple(field.attname for field in fields)
        else:
            raise ImproperlyConfigured("a prepared read is a values list or plain instances")
        converters = compiler.get_converters([col for col, _, _ in compiler.select])
        return _Statement(sql, tuple(params), tuple(slots), converters, model, names)

    def sql_with_params(self, *args: Any) -> tuple[str, list[Any]] | None:
        """The statement and the parameters a read of `args` executes, or None where the read
        is built through the ORM (checked against the ORM's own in tests/common)."""
        alias = router.db_for_read(self._model)
        if alias not in self._statements:
            self(*args)
        statement = self._statements[alias]
        return None if statement is None else (statement.sql, self._params(statement, args))

    @staticmethod
    def _params(statement: _Statement, args: tuple[Any, ...]) -> list[Any]:
        params = list(statement.params)
        for position, index, is_ids in statement.slots:
            value = args[index]
            # The ids as `in_ids` writes them: the array's text (integers only).
            params[position] = _array_text(value) if is_ids else value
        return params

    def _execute(self, statement: _Statement, alias: str, args: tuple[Any, ...]) -> list[Any]:
        params = self._params(statement, args)
        with connections[alias].cursor() as cursor:
            cursor.execute(statement.sql, params)
            rows = cursor.fetchall()
        if statement.converters:
            rows = _converted(rows, statement.converters, connections[alias])
        if statement.model is None:
            return rows
        return [statement.model.from_db(alias, statement.names, row) for row in rows]


def _array_text(ids: Sequence[int]) -> str:
    """The ids as `in_ids` writes them on PostgreSQL: the array's text, `operator.index`
    refusing what is not an integer (a text, a float, None)."""
    return "{" + ",".join(map(str, map(operator.index, ids))) + "}"


def _converted(rows: list[Any], converters: dict[int, Any], connection: Any) -> list[Any]:
    """The rows with each column's converters applied, as the ORM's compiler applies them
    (`SQLCompiler.apply_converters`), with the connection of the thread that reads."""
    steps = list(converters.items())
    converted = []
    for row in rows:
        values = list(row)
        for position, (functions, expression) in steps:
            value = values[position]
            for convert in functions:
                value = convert(value, expression, connection)
            values[position] = value
        converted.append(tuple(values))
    return converted
