"""Cursor pagination for every list: `{next, previous, results}`, 50 a page, at most 200.

A cursor holds the values of every key of the list's order up to its unique one (a keyset):
the page after it is the rows after that tuple, compared key by key in each key's direction
(docs/architecture.md, "The API"). DRF's cursor held the first key's value and an offset
among the rows sharing it, and where a page held no row with a value of its own its
`previous` was empty and that empty page's `next` skipped rows.
"""

from __future__ import annotations

import datetime as dt
import json
from base64 import b64decode, b64encode
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple
from urllib import parse

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connections, models, router
from django.db.models import Field, Model, Q, QuerySet, prefetch_related_objects
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, _reverse_ordering
from rest_framework.request import Request
from rest_framework.utils.urls import remove_query_param, replace_query_param

from casebook.common.prepared import PreparedRead


def _instant(position: str) -> dt.datetime | None:
    """A cursor's position as an aware datetime (as the list writes it), else None."""
    try:
        instant = parse_datetime(position)
    except ValueError:
        return None
    return instant if instant is not None and instant.tzinfo is not None else None


@dataclass(frozen=True)
class NewestRows:
    """A list's rows whose `field` is at `since` or later (every other row is older), read
    without the older ones: the same filters, the same rows, kept to the newest."""

    since: dt.datetime
    rows: QuerySet


@dataclass(frozen=True)
class OrderKey:
    """One key of a list's order as the cursor compares it: the column a row is read by
    (`pk` as the primary key's column), its direction, and whether it may be NULL."""

    name: str
    descending: bool
    field: Field | None

    @property
    def nullable(self) -> bool:
        # A key that is not a model field (an annotation) is compared as if it may be NULL.
        return self.field is None or self.field.null


class KeysetCursor(NamedTuple):
    """A decoded cursor: its direction (`reverse`: the page before the position) and the
    position, the values of the order's keys as text (None for NULL); no values: from the
    start (or, reversed, from the end)."""

    reverse: bool
    values: tuple[str | None, ...]

    @property
    def position(self) -> str | None:
        """The first key's value (the newest-first window reads the cursor by it)."""
        return self.values[0] if self.values else None


def order_keys(model: type[Model], ordering: Sequence[str]) -> list[OrderKey]:
    """The keys of `ordering` up to and including its first unique, non-null one: the keys
    after it never decide between two rows."""
    keys: list[OrderKey] = []
    for term in ordering:
        name = term.lstrip("-")
        field: Field | None
        if name == "pk":
            field = model._meta.pk
        else:
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                field = None
        if field is not None and field.is_relation:
            # `order_by("<relation>")` orders by the related model's own ordering, which a
            # value of this row cannot stand for.
            raise ImproperlyConfigured(f"a cursor cannot order by the relation {name!r}")
        keys.append(
            OrderKey(
                name=field.attname if field is not None else name,
                descending=term.startswith("-"),
                field=field,
            )
        )
        if field is not None and (field.primary_key or field.unique) and not field.null:
            return keys
    return keys


def _row_value(row: Any, name: str) -> Any:
    return row[name] if isinstance(row, dict) else getattr(row, name)


def rows_after(
    keys: Sequence[OrderKey], values: Sequence[Any], *, reverse: bool, nulls_largest: bool
) -> Q:
    """The rows after a position (`values`, one a key) in the page's order (the list's, or
    reversed for a reversed cursor): `k1 > v1 OR (k1 = v1 AND k2 > v2) OR ...`, each `>` a `<`
    where the key goes down. A NULL sorts as the database sorts it (after every value on
    PostgreSQL, before every value on SQLite: `nulls_largest`), so the comparison says where
    NULLs are rather than leaving them to SQL's unknown."""
    after = Q(pk__in=[])
    equal = Q()
    for key, value in zip(keys, values, strict=True):
        greater = key.descending == reverse
        if value is None:
            # Past a NULL: the values, where NULLs come first; nothing, where they last.
            if greater != nulls_largest:
                after |= equal & Q(**{f"{key.name}__isnull": False})
            equal &= Q(**{f"{key.name}__isnull": True})
            continue
        beyond = Q(**{f"{key.name}__{'gt' if greater else 'lt'}": value})
        if key.nullable and greater == nulls_largest:
            beyond |= Q(**{f"{key.name}__isnull": True})
        after |= equal & beyond
        equal &= Q(**{key.name: value})
    first, value = keys[0], values[0]
    if value is not None and not first.nullable:
        # The first key's bound alone, for an index on it to start the scan there.
        bound = "gte" if (first.descending == reverse) else "lte"
        after &= Q(**{f"{first.name}__{bound}": value})
    return after


# The kinds of cursor value a prepared page takes as a parameter, by the key's field (an
# id is an integer field). A date, a flag or an annotation keeps the list read as any list.
_PREPARED_KINDS: tuple[tuple[type[Field], Any], ...] = (
    (models.DateTimeField, dt.datetime),
    (models.IntegerField, int),
    (models.CharField, str),
    (models.TextField, str),
)


def _prepared_kind(key: OrderKey) -> Any:
    for field_class, kind in _PREPARED_KINDS:
        if isinstance(key.field, field_class):
            return kind
    return None


class PageStatement(PreparedRead):
    """A list's page as a statement compiled once (`_page_statement`), kept per reader's facts
    and page shape (`tests/api/test_list_pages_compiled_once.py` compares its statements and
    answers with the ORM's)."""


def _in_columns_range(model: type[Model], keys: Sequence[OrderKey], values: Sequence[Any]) -> bool:
    """Whether every integer of a position lies in its column's range (a cursor is the
    client's text: `?cursor=` may hold any number)."""
    ops = connections[router.db_for_read(model)].ops
    for key, value in zip(keys, values, strict=False):
        if isinstance(value, int) and key.field is not None:
            low, high = ops.integer_field_range(key.field.get_internal_type())
            if (low is not None and value < low) or (high is not None and value > high):
                return False
    return True


def _page_statement(
    model: type[Model],
    rows: Callable[[tuple[str, ...]], QuerySet],
    keys: tuple[OrderKey, ...],
    *,
    ordering: Sequence[str],
    size: int,
    reverse: bool,
    nulls: tuple[bool, ...] | None,
) -> PageStatement | None:
    """A page of `rows` in `ordering`, after a position whose NULL values are `nulls` (None:
    from the start), as a statement compiled once; its arguments are the position's other
    values. None where a key is of a kind not passed as a parameter (a date, a flag, an
    annotation): the list is then read as any list."""
    positioned = nulls is not None
    kinds = [_prepared_kind(key) for key, null in zip(keys, nulls or (), strict=False) if not null]
    if None in kinds:
        return None
    columns = tuple(key.name for key in keys)

    def build(*args: Any) -> QuerySet:
        queryset = rows(columns).order_by(*ordering)
        if positioned:
            given = iter(args)
            values = [None if null else next(given) for null in nulls]
            nulls_largest = connections[queryset.db].features.nulls_order_largest
            after = rows_after(keys, values, reverse=reverse, nulls_largest=nulls_largest)
            queryset = queryset.filter(after)
        return queryset[: size + 1]

    return PageStatement(model, build, args=kinds)


class CasebookCursorPagination(CursorPagination):
    """Stable pages under concurrent inserts. `?page_size=` picks the size (1–200).

    The ordering comes from the view's `AllowListOrderingFilter` when it has one, else from
    the view's `ordering` attribute; the primary key is appended where no key of it is unique
    and non-null, so every row has a position of its own.
    """

    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    cursor_query_param = "cursor"
    ordering = "-pk"

    def get_ordering(self, request: Request, queryset: QuerySet, view: Any) -> tuple[str, ...]:
        ordering = tuple(super().get_ordering(request, queryset, view))
        keys = order_keys(queryset.model, ordering)
        last = keys[-1].field if keys else None
        if last is None or not (last.primary_key or last.unique) or last.null:
            ordering = (*ordering, "-pk" if ordering and ordering[0].startswith("-") else "pk")
        return ordering

    def decode_cursor(self, request: Request) -> KeysetCursor | None:
        """The request's cursor: 404 where it is not one at all (as DRF's), 400 where it
        holds no position of this form (an offset, or a first key alone: a cursor of the
        earlier form is not read)."""
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            querystring = b64decode(encoded.encode("ascii")).decode("ascii")
            tokens = parse.parse_qs(querystring, keep_blank_values=True)
            reverse = bool(int(tokens.get("r", ["0"])[0]))
        except (TypeError, ValueError):
            raise NotFound(self.invalid_cursor_message) from None
        position = tokens.get("p")
        if "o" in tokens or (position is not None and len(position) != 1):
            raise self._invalid()
        if position is None:
            return KeysetCursor(reverse=reverse, values=())
        try:
            values = json.loads(position[0])
        except ValueError:
            raise self._invalid() from None
        if (
            not isinstance(values, list)
            or not values
            or not all(value is None or isinstance(value, str) for value in values)
        ):
            raise self._invalid()
        return KeysetCursor(reverse=reverse, values=tuple(values))

    def encode_cursor(self, cursor: KeysetCursor) -> str:
        tokens: dict[str, str] = {}
        if cursor.reverse:
            tokens["r"] = "1"
        if cursor.values:
            tokens["p"] = json.dumps(list(cursor.values), separators=(",", ":"))
        if not tokens:
            return remove_query_param(self.base_url, self.cursor_query_param)
        querystring = parse.urlencode(tokens)
        encoded = b64encode(querystring.encode("ascii")).decode("ascii")
        return replace_query_param(self.base_url, self.cursor_query_param, encoded)

    def _invalid(self) -> ValidationError:
        return ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: Any = None
    ) -> list[Any] | None:
        """The page after (or, reversed, before) the cursor's position: the rows whose keys
        come after its values in the list's order. Of rows of values where the view reads its
        page so (`ReadViewSet.page_rows`), with every key's column among them."""
        self.request = request
        self.page_size = self.get_page_size(request)
        if not self.page_size:
            return None
        self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, queryset, view)
        self.keys = order_keys(queryset.model, self.ordering)
        self.cursor = self.decode_cursor(request)
        reverse = self.cursor is not None and self.cursor.reverse
        positioned = self.cursor is not None and bool(self.cursor.values)

        page_rows = getattr(view, "page_rows", None)
        if page_rows is not None:
            queryset = page_rows(queryset, tuple(key.name for key in self.keys))
        queryset = queryset.order_by(
            *(_reverse_ordering(self.ordering) if reverse else self.ordering)
        )
        if positioned:
            queryset = queryset.filter(self._after(queryset, self.cursor))

        # One row more than the page: whether a page follows.
        return self._kept(list(queryset[: self.page_size + 1]), reverse, positioned)

    def _kept(self, results: list[Any], reverse: bool, positioned: bool) -> list[Any]:
        """The page of `results` (the page's rows and the one after it, in the page's order)
        and whether pages come before and after it."""
        self.page = results[: self.page_size]
        has_following = len(results) > len(self.page)
        if reverse:
            self.page.reverse()
            self.has_next, self.has_previous = positioned, has_following
        else:
            self.has_next, self.has_previous = has_following, positioned
        if (self.has_previous or self.has_next) and self.template is not None:
            self.display_page_controls = True
        return self.page

    def paginate_prepared(
        self,
        request: Request,
        view: Any,
        *,
        model: type[Model],
        rows: Callable[[tuple[str, ...]], QuerySet],
        prepared: Callable[[tuple[Any, ...], Callable[[], PageStatement | None]], Any],
    ) -> list[Any] | None:
        """`paginate_queryset` of `rows(<the cursor's columns>)`, read by a statement compiled
        once for the page's shape (docs/performance.md, "A list's page compiled once per
        reader"); None where the shape is not one a statement takes (the list is then read by
        `paginate_queryset`).

        The shape is what the statement's text depends on: the order, the page's size (its
        LIMIT), the cursor's direction, and which of its values are NULL. The cursor's other
        values are the statement's parameters. `prepared(shape, build)` keeps the statement
        `build()` makes for a shape; the caller keys it by everything else `rows` depends on
        (the reader's rule): `rows` must read nothing but that and the columns it is given."""
        self.request = request
        self.page_size = self.get_page_size(request)
        if not self.page_size:
            return None
        self.ordering = self.get_ordering(request, model._base_manager.none(), view)
        self.keys = order_keys(model, self.ordering)
        self.cursor = self.decode_cursor(request)
        reverse = self.cursor is not None and self.cursor.reverse
        positioned = self.cursor is not None and bool(self.cursor.values)
        values = self._values(self.cursor) if positioned else []
        if not _in_columns_range(model, self.keys, values):
            # The ORM answers such a comparison without a parameter: read as any list.
            return None
        shape = (
            model._meta.label,
            self.ordering,
            self.page_size,
            reverse,
            tuple(value is None for value in values) if positioned else None,
        )
        read = prepared(
            shape,
            partial(
                _page_statement,
                model,
                rows,
                tuple(self.keys),
                ordering=_reverse_ordering(self.ordering) if reverse else self.ordering,
                size=self.page_size,
                reverse=reverse,
                nulls=shape[-1],
            ),
        )
        if read is None:
            return None
        self.base_url = request.build_absolute_uri()
        results = read(*(value for value in values if value is not None))
        return self._kept(results, reverse, positioned)

    def start_first_page(self, request: Request, view: Any, *, model: type[Model]) -> bool:
        """Ready to keep the first page of a list of `model` that the caller reads itself
        (`keep_first_page`): the page's size, order and keys set as `paginate_queryset` sets
        them. False where the request names a cursor, or asks for no page."""
        self.request = request
        self.page_size = self.get_page_size(request)
        if not self.page_size or self.cursor_query_param in request.query_params:
            return False
        self.ordering = self.get_ordering(request, model._base_manager.none(), view)
        self.keys = order_keys(model, self.ordering)
        self.cursor = None
        self.base_url = request.build_absolute_uri()
        return True

    def keep_first_page(self, results: list[Any]) -> list[Any]:
        """The first page of `results` (read in the page's order, one row more than the
        page), after `start_first_page`."""
        return self._kept(results, reverse=False, positioned=False)

    def _after(self, queryset: QuerySet, cursor: KeysetCursor) -> Q:
        """The rows after the cursor's position in the page's order (`rows_after`)."""
        return rows_after(
            self.keys,
            self._values(cursor),
            reverse=cursor.reverse,
            nulls_largest=connections[queryset.db].features.nulls_order_largest,
        )

    def _values(self, cursor: KeysetCursor) -> list[Any]:
        """The cursor's position as the keys' fields read it; 400 where it is not one."""
        if len(cursor.values) != len(self.keys):
            raise self._invalid()
        return [
            self._value(key, value) for key, value in zip(self.keys, cursor.values, strict=True)
        ]

    def _value(self, key: OrderKey, text: str | None) -> Any:
        """A cursor's value of `key` as the field reads it; 400 where it is not one."""
        if text is None:
            if not key.nullable:
                raise self._invalid()
            return None
        if key.field is None:
            return text
        try:
            value = key.field.to_python(text)
        except (DjangoValidationError, TypeError, ValueError):
            raise self._invalid() from None
        if isinstance(value, dt.datetime) and timezone.is_naive(value):
            raise self._invalid()
        return value

    def _position(self, row: Any) -> tuple[str | None, ...]:
        values = (_row_value(row, key.name) for key in self.keys)
        return tuple(None if value is None else str(value) for value in values)

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        if not self.page:
            # Nothing before a reversed cursor's position: the page after is the first.
            return self.encode_cursor(KeysetCursor(reverse=False, values=()))
        return self.encode_cursor(KeysetCursor(reverse=False, values=self._position(self.page[-1])))

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        if not self.page:
            # Nothing after the cursor's position: the page before is the last.
            return self.encode_cursor(KeysetCursor(reverse=True, values=()))
        return self.encode_cursor(KeysetCursor(reverse=True, values=self._position(self.page[0])))

    def paginate_newest_first(
        self,
        queryset: QuerySet,
        request: Request,
        view: Any,
        *,
        field: str,
        newest: Callable[[], NewestRows | None],
        every: Callable[[], QuerySet] | None = None,
    ) -> list[Any] | None:
        """`paginate_queryset`, read from the list's newest rows (`newest()`) where they
        give the same page, rows, order and cursors (docs/performance.md, "Search").

        When the page's order (the cursor's direction applied) starts with `field` from the
        newest down, the newest rows start the list's order (every older row comes after
        them, ties included, as they share their `field`): their slice is the list's when it
        holds the row after the page. When the order goes up `field` from a cursor at or
        after `since`, every row after the cursor is one of the newest. Any other order, or
        a slice the newest rows do not fill, is read from `queryset`, or from `every()` when
        given: the list as `queryset` holds it, built only when it is read."""
        ordering = self.get_ordering(request, queryset, view)

        def read_whole() -> list[Any] | None:
            return self.paginate_queryset(queryset if every is None else every(), request, view)

        cursor = self.decode_cursor(request)
        reverse = cursor is not None and cursor.reverse
        if ordering[0].lstrip("-") != field:
            return read_whole()
        descending = ordering[0].startswith("-") != reverse
        position = None
        if cursor is not None and cursor.position is not None:
            position = _instant(cursor.position)
            if position is None:
                # Not a position this list makes: read as any list reads it.
                return read_whole()
        if not descending and position is None:
            return read_whole()
        window = newest()
        if window is None:
            return read_whole()
        if not descending:
            if position >= window.since:
                return self.paginate_queryset(window.rows, request, view)
        elif position is None or position > window.since:
            # The related rows are read for the page kept, not for a slice that is not.
            lookups = window.rows._prefetch_related_lookups
            page = self.paginate_queryset(window.rows.prefetch_related(None), request, view)
            # The row after the page was among the newest: the page is the list's.
            if self.has_previous if reverse else self.has_next:
                prefetch_related_objects(page, *lookups)
                return page
        return read_whole()
