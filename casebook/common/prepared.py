"""A read whose statement the ORM compiles once per process and database, then only executed.

Some reads have the same statement on every request but for their values: the user row of a
session (by its id), a login's desk memberships (by the login's id), a page's sets (by the
page's ids, one array on PostgreSQL), the session row (by its key and the time), an API
token and its login (by the token's hash and the time). Building and compiling their
queryset is most of their Python: about 1,000 calls for the user row, 1,300 for the
memberships, 600–700 for each set, 2,200 for the token, where executing it is a few dozen
(docs/performance.md, "Statements compiled once").

`PreparedRead(model, build, args=(…))` calls `build` once per database with marker values in
place of its arguments and has the ORM compile the queryset it returns; it then compiles it
again with each argument's marker changed in turn. The parameters that change with an
argument are that argument's, whatever else the parameters hold (a constant `True`, an id
that happens to equal a marker); the text must not change at all. Each changed parameter
must be the argument's marker as the ORM adapted it for the database (a timestamp is a
`datetime` on PostgreSQL, text on SQLite). A read then executes that statement with the
markers replaced by its arguments, adapted the same way, and applies the converters the
ORM's compiler would have applied to the columns. The statement is the ORM's own, so it is
the same text and the same parameters the ORM would send (`tests/common/test_prepared.py`
compares them).

What may be prepared: a statement whose shape depends on nothing but the database. Its arguments
are declared by kind, `int`, `str`, `bool`, `datetime` (aware), `date` (a day, not a moment),
`list[int]` (ids given to `in_ids`: one array parameter on PostgreSQL; elsewhere `in_ids` writes
one placeholder an id, so the read is built through the ORM each time; so is a read the ORM
finds empty without a query, an empty `__in` of `build`'s own), `list[str]` (texts passed as one
array, PostgreSQL only as well) or `Word(length)`: a search key of that many characters, whose
marker is a key of the same length (private-use characters, which the search key keeps as they
are), so that `build` takes the branch the real word takes; the key may reach the statement as
itself and as the one gram of an array (`casebook.common.search`). An argument that the ORM
writes into the text rather than passes as a parameter is refused when the read is first
compiled: a literal, a slice, and a boolean compared with a boolean column (the ORM writes
`WHERE flag` or `WHERE NOT flag`; a constant flag belongs in `build`). A read returns a values
list, values (dicts, as `.values()` gives them), or instances of its model with its
`select_related` rows (at any depth: a referral's referring case and that case's desk) and its
annotations (a session's `amended`), built as the ORM's iterables build them (`Model.from_db`,
its related populators, each annotation set by its name).

A statement that holds a reader's visibility rule (the policy modules' rules) has the shape of
that reader's desks and roles: a module-level read never holds one. It may be prepared only
as a read kept by `policy.per_viewer`, one per login's facts (`policy.viewer_facts`) and per
everything else that shapes it (a page's number and size), built from those facts alone; its
arguments are what varies within that shape (the API lists' pages: `casebook/api/pagination.py`;
my cases' lists and the client page: docs/performance.md, "My cases and the client page"). A
rule whose shape holds nothing of the reader, only ids passed as arguments, is module-level like
any other read: the dispatches of a case its reader sees, one statement per branch of the
narrowed rule (`experts.selectors.SEEN_CASE_READS`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import (
    ModelIterable,
    ValuesIterable,
    ValuesListIterable,
    _get_from_db,
    get_related_populators,
)

from casebook.common.lookups import array_text

# The kind of an argument that is a list of ids.
IDS = list[int]
# The kind of an argument that is a list of texts (one `text[]` parameter on PostgreSQL).
TEXTS = list[str]


@dataclass(frozen=True)
class Word:
    """The kind of an argument that is a search key of `length` characters (`japanese.search_key`
    of a word, which is its own key): a word of one or two characters is one gram, and the
    statement of each length is another (`intake.selectors.cases`, "A one-gram word's pages")."""

    length: int


# The largest value of a row's id (a 64-bit column).
_LARGEST_ID = 2**63 - 1


def is_row_id(value: Any) -> bool:
    """Whether `value` is an id a row may have: an `int` (not a flag, not a text) from 1 to
    the largest a 64-bit column holds. A prepared read takes such an id as it is; anything
    else is read through the ORM, which answers it without a statement (a number out of the
    column's range) or refuses it, where the database would raise on it (SQLite on an
    integer past 64 bits)."""
    return value.__class__ is int and 0 < value <= _LARGEST_ID


# Marker values, two of each kind, distinct per argument. Integers: positive and small,
# within the range of every integer column, the smallest and the unsigned ones included:
# Django answers a comparison with a value out of its column's range without a parameter
# (the branch dropped, or the whole statement found empty), which would hide the argument.
# Times: aware, in a year no record has.
_MARKER_BASE = 20_001
_MARKER_TIME = dt.datetime(1901, 2, 3, 4, 5, 6, tzinfo=dt.UTC)
_KINDS = (int, str, bool, dt.datetime, dt.date, IDS, TEXTS)
# A word's marker: private-use characters, which `japanese.search_key` keeps as they are.
_PRIVATE_USE = 0xE000


def _marker(kind: Any, second: bool, index: int) -> Any:
    if kind is bool:
        return second
    if isinstance(kind, Word):
        first = _PRIVATE_USE + (2 * index + second) * kind.length
        return "".join(chr(first + offset) for offset in range(kind.length))
    number = _MARKER_BASE + 2 * index + second
    if kind is IDS:
        return [number]
    if kind is TEXTS:
        return [f"casebook-prepared-marker-{number}"]
    if kind is str:
        return f"casebook-prepared-marker-{number}"
    if kind is dt.datetime:
        return _MARKER_TIME + dt.timedelta(seconds=index, microseconds=1 + second)
    if kind is dt.date:
        return _MARKER_TIME.date() + dt.timedelta(days=2 * index + second)
    return number


def _adapt_ids(ids: Sequence[int], connection: Any) -> str:
    # The array's text exactly as `in_ids` writes it.
    return array_text(ids)


def _adapt_datetime(value: dt.datetime, connection: Any) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _integer_adapter(internal_type: str) -> Callable[[int, Any], Any]:
    """How the ORM passes an integer compared with a column of `internal_type` (psycopg's
    `Int2`, `Int4` or `Int8` on PostgreSQL, the number itself elsewhere)."""

    def adapt(value: int, connection: Any) -> Any:
        return connection.ops.adapt_integerfield_value(value, internal_type)

    return adapt


def _adapt_date(value: dt.date, connection: Any) -> Any:
    return connection.ops.adapt_datefield_value(value)


def _one_gram_array(value: str, connection: Any) -> list[str]:
    # `HoldsGrams` of a one-gram word: the array of its one gram.
    return [value]


# How the ORM may have adapted an argument of each kind into its parameter, tried in order
# (None: the value itself), for each parameter the argument changes. The adaptation found for
# a parameter is applied to every read's argument there.
_ADAPTERS: dict[Any, tuple[Any, ...]] = {
    int: (
        None,
        *(
            _integer_adapter(internal_type)
            for internal_type in ("SmallIntegerField", "IntegerField", "BigIntegerField")
        ),
    ),
    str: (None,),
    bool: (None,),
    dt.datetime: (None, _adapt_datetime),
    dt.date: (None, _adapt_date),
    IDS: (_adapt_ids,),
    TEXTS: (None,),
    Word: (None, _one_gram_array),
}


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: tuple[Any, ...]
    # (parameter index, argument index, its adaptation or None)
    slots: tuple[tuple[int, int, Any], ...]
    converters: dict[int, Any]
    # For a read of model instances: `from_db` with the queryset's fetch mode, the attribute
    # names of the model's columns, their span in a row, and the related populators.
    from_db: Any
    names: tuple[str, ...] | None
    span: tuple[int, int] | None
    populators: tuple[Any, ...]
    # For a read of values (`values()`): each row a dict of these names, in the row's order.
    keys: tuple[str, ...] | None = None
    # For a read of model instances: its annotations, each set on the instance by its name
    # from its position in a row (as `ModelIterable` sets them).
    annotations: tuple[tuple[str, int], ...] = ()


class PreparedRead:
    """`build(*args)` (a queryset of values lists, values or model instances) executed as the
    statement the ORM compiled once. `args` gives each argument's kind (see the module)."""

    def __init__(
        self,
        model: type[Model],
        build: Callable[..., QuerySet],
        *,
        args: Sequence[Any] = (int,),
    ) -> None:
        if any(kind not in _KINDS and not isinstance(kind, Word) for kind in args):
            raise ImproperlyConfigured(f"a prepared read's arguments are of {_KINDS} or a Word")
        self._model = model
        self._build = build
        # `list[int]` written out is equal to `IDS`, not the same object: the kinds are compared
        # by identity where a read runs.
        self._kinds = tuple(
            enumerate(
                next((known for known in (IDS, TEXTS) if kind == known), kind) for kind in args
            )
        )
        self._statements: dict[str, _Statement | None] = {}

    def __call__(self, *args: Any) -> list[Any]:
        for index, kind in self._kinds:
            value = args[index]
            if kind is IDS:
                if not value:
                    # No id matches nothing, without a query (as `in_ids`, as an empty `__in`).
                    return []
            elif kind is TEXTS:
                if value.__class__ is not list or any(text.__class__ is not str for text in value):
                    raise TypeError(f"argument {index} of a prepared read is not a list of texts")
            elif isinstance(kind, Word):
                if value.__class__ is not str or len(value) != kind.length:
                    raise TypeError(f"argument {index} of a prepared read is not a {kind}")
            elif (
                not isinstance(value, kind)
                or (kind is int and value.__class__ is bool)
                or (kind is dt.datetime and value.tzinfo is None)
                or (kind is dt.date and isinstance(value, dt.datetime))
            ):
                # What the ORM would coerce or reinterpret (a text id, a naive time, which it
                # would read in the site's zone and the database in UTC) is refused.
                raise TypeError(f"argument {index} of a prepared read is not a {kind}: {value!r}")
        alias = router.db_for_read(self._model)
        try:
            statement = self._statements[alias]
        except KeyError:
            statement = self._statements[alias] = self._compile(alias)
        if statement is None:
            return list(self._build(*args))
        return self._execute(statement, alias, args)

    def _compiled(self, alias: str, args: list[Any]) -> tuple[QuerySet, Any, str, tuple[Any, ...]]:
        queryset = self._build(*args)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        return queryset, compiler, sql, tuple(params)

    def _compile(self, alias: str) -> _Statement | None:
        connection = connections[alias]
        kinds = dict(self._kinds).values()
        if (IDS in kinds or TEXTS in kinds) and connection.vendor != "postgresql":
            # `in_ids` writes one placeholder an id here, and an array is no parameter: the
            # statement is not fixed.
            return None
        markers = [_marker(kind, False, index) for index, kind in self._kinds]
        try:
            queryset, compiler, sql, params = self._compiled(alias, markers)
        except EmptyResultSet:
            # The ORM finds the rows none without a query (an empty `__in` of `build`'s own,
            # such as the rule of a reader who sees nothing): each read asks the ORM.
            return None
        slots = []
        for index, kind in self._kinds:
            moved = list(markers)
            moved[index] = _marker(kind, True, index)
            _, _, moved_sql, moved_params = self._compiled(alias, moved)
            if moved_sql != sql or len(moved_params) != len(params):
                # The argument is written into the text, or shapes it.
                raise ImproperlyConfigured("a prepared read takes its arguments as parameters")
            positions = [
                position
                for position, (first, second) in enumerate(zip(params, moved_params, strict=True))
                if not _same(first, second)
            ]
            if not positions:
                raise ImproperlyConfigured("a prepared read passes each argument as a parameter")
            pair = (markers[index], moved[index])
            slots.extend(
                (
                    position,
                    index,
                    _adaptation(kind, connection, pair, params, moved_params, position),
                )
                for position in positions
            )
        converters = compiler.get_converters([col for col, _, _ in compiler.select])
        iterable = queryset._iterable_class
        if iterable is ValuesListIterable:
            return _Statement(sql, params, tuple(slots), converters, None, None, None, ())
        if iterable is ValuesIterable:
            query = queryset.query
            # The names `ValuesIterable` gives a row's values, in the same order.
            keys = (
                tuple(query.selected)
                if query.selected
                else (*query.extra_select, *query.values_select, *query.annotation_select)
            )
            return _Statement(sql, params, tuple(slots), converters, None, None, None, (), keys)
        if iterable is not ModelIterable:
            raise ImproperlyConfigured("a prepared read is of values or model instances")
        fetch_mode = queryset._fetch_mode
        klass_info, select = compiler.klass_info, compiler.select
        if fetch_mode.track_peers or queryset._known_related_objects:
            # Kept between reads, the populators would keep every read's peers.
            raise ImproperlyConfigured("a prepared read keeps no peers between reads")
        # Every row built, the model's and each related one at every level of
        # `select_related` (Django's populators descend the levels themselves), reads all of
        # its model's columns in their order.
        infos = [klass_info]
        for info in infos:
            model = info["model"]
            columns = [select[position][0].target for position in info["select_fields"]]
            if columns != list(model._meta.concrete_fields) or info.get("from_parent"):
                raise ImproperlyConfigured("a prepared read of instances reads every column")
            infos.extend(info.get("related_klass_infos", ()))
        span = (klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1)
        return _Statement(
            sql,
            params,
            tuple(slots),
            converters,
            _get_from_db(queryset.model, fetch_mode),
            tuple(column.target.attname for column, _, _ in select[span[0] : span[1]]),
            span,
            tuple(get_related_populators(klass_info, select, alias, fetch_mode)),
            annotations=tuple(compiler.annotation_col_map.items()),
        )

    def sql_with_params(self, *args: Any) -> tuple[str, list[Any]] | None:
        """The statement and the parameters a read of `args` executes, or None where the read
        is built through the ORM (checked against the ORM's own in tests/common)."""
        alias = router.db_for_read(self._model)
        if alias not in self._statements:
            self._statements[alias] = self._compile(alias)
        statement = self._statements[alias]
        if statement is None:
            return None
        return statement.sql, _params(statement, args, connections[alias])

    def _execute(self, statement: _Statement, alias: str, args: tuple[Any, ...]) -> list[Any]:
        connection = connections[alias]
        # `_params`, inline: every request of a session or a token runs this.
        params = list(statement.params)
        for position, index, adapt in statement.slots:
            value = args[index]
            params[position] = value if adapt is None else adapt(value, connection)
        with connection.cursor() as cursor:
            cursor.execute(statement.sql, params)
            rows = cursor.fetchall()
        if statement.converters:
            rows = _converted(rows, statement.converters, connection)
        if statement.keys is not None:
            keys = statement.keys
            return [dict(zip(keys, row, strict=True)) for row in rows]
        if statement.from_db is None:
            return rows
        from_db, names, populators = statement.from_db, statement.names, statement.populators
        annotations = statement.annotations
        start, end = statement.span  # type: ignore[misc]
        instances = []
        for row in rows:
            instance = from_db(alias, names, row[start:end])
            for populator in populators:
                populator.populate(row, instance)
            for name, position in annotations:
                setattr(instance, name, row[position])
            instances.append(instance)
        return instances


def _same(first: Any, second: Any) -> bool:
    return first.__class__ is second.__class__ and first == second


def _adaptation(
    kind: Any,
    connection: Any,
    markers: tuple[Any, Any],
    params: tuple[Any, ...],
    moved_params: tuple[Any, ...],
    position: int,
) -> Any:
    """How the ORM adapted the argument into the parameter at `position`, which changes with
    it: the first of its kind's adaptations that gives both markers' parameters exactly (a
    word may be passed as itself in one place and as an array of it in another)."""
    for adapt in _ADAPTERS[Word if isinstance(kind, Word) else kind]:
        first, second = (
            marker if adapt is None else adapt(marker, connection) for marker in markers
        )
        if _same(params[position], first) and _same(moved_params[position], second):
            return adapt
    # The parameter is made from the argument but is not it (`%value%` of a `contains`).
    raise ImproperlyConfigured("a prepared read passes each argument as it is given")


def _params(statement: _Statement, args: tuple[Any, ...], connection: Any) -> list[Any]:
    params = list(statement.params)
    for position, index, adapt in statement.slots:
        value = args[index]
        params[position] = value if adapt is None else adapt(value, connection)
    return params


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
