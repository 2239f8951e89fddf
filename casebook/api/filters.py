"""Ordering and filtering that only ever apply keys from an allow-list.

A query string never reaches the ORM as a lookup path: ordering terms are looked up in the
view's `ordering_fields` (field names, or a mapping from public key to model field where the
two differ), and anything else is ignored, so `?ordering=client__name` or
`?ordering=lead_counselor__password` does nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from django import forms
from django.db.models import QuerySet
from django_filters import rest_framework as django_filters
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request


def named_filters(params: Iterable[str], names: Iterable[str]) -> tuple[str, ...]:
    """Which of the filters `names` a query string's keys name, in their order: the filter's
    own name, or a key of its form field's widget (`<name>_<suffix>` for a range's two
    ends)."""
    keys = tuple(params)
    return tuple(
        name for name in names if any(key == name or key.startswith(f"{name}_") for key in keys)
    )


def names_a_filter(params: Iterable[str], names: Iterable[str]) -> bool:
    """Whether a query string's keys name one of the filters `names` (`named_filters`)."""
    return bool(named_filters(params, names))


@functools.lru_cache(maxsize=256)
def _narrowed(filterset_class: type, names: tuple[str, ...]) -> type:
    """`filterset_class` with only the filters `names`, in its order (one class per set of
    names, made once; a few hundred kept)."""
    narrowed = type(filterset_class.__name__, (filterset_class,), {"__module__": __name__})
    narrowed.base_filters = {name: filterset_class.base_filters[name] for name in names}
    return narrowed


class QueryStringFilterBackend(django_filters.DjangoFilterBackend):
    """The view's filter set, built only when the query string names one of its filters, and
    then of the filters it names only.

    A filter set deep-copies its filters and builds, copies and validates a form field for
    every one of them, whether or not a filter was asked for: 8,900 of the 30,000 Python calls
    of the case list with a page of one (docs/performance.md, "The lists' Python"). A filter
    the query string does not name has an empty value, which leaves the rows as they are and
    never fails validation: with no filter named the rows are answered unchanged without
    building the filter set, and otherwise the filter set holds the named filters alone, in
    their declared order, so the rows, the SQL and the 400s are those of the whole set
    (docs/performance.md, "The lists' work before the SQL"). A named filter, even empty or
    invalid, goes through the filter set (and its 400s).
    """

    def filter_queryset(self, request: Request, queryset: QuerySet, view: Any) -> QuerySet:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None or not names_a_filter(
            request.query_params, filterset_class.base_filters
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)

    def get_filterset(self, request: Request, queryset: QuerySet, view: Any) -> Any:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return None
        named = named_filters(request.query_params, filterset_class.base_filters)
        kwargs = self.get_filterset_kwargs(request, queryset, view)
        return _narrowed(filterset_class, named)(**kwargs)


class AllowListOrderingFilter(OrderingFilter):
    """`?ordering=a,-b` with `a`, `b` keys of the view's `ordering_fields`.

    Set on the view:
        ordering_fields = ("opened_at", "number")   # public keys that are the field names
        ordering_fields = {"name_kana": "name_kana_search", "id": "id"}   # where they differ
        ordering = ["-opened_at"]            # the default, model field names
    A unique tie-breaker (`pk`) is appended so every row has a cursor position of its own.
    A key that may be NULL is paged where the database sorts its NULLs
    (`casebook/api/pagination.py`).
    """

    ordering_description = "Sort by one or more of the listed keys; prefix '-' to reverse."

    def _allowed(self, view: Any) -> dict[str, str]:
        fields = getattr(view, "ordering_fields", None) or {}
        if not isinstance(fields, dict):
            fields = {name: name for name in fields}
        return {key: value for key, value in fields.items() if "__" not in key}

    def get_ordering(self, request: Request, queryset: QuerySet, view: Any) -> list[str]:
        allowed = self._allowed(view)
        params = request.query_params.get(self.ordering_param, "")
        ordering: list[str] = []
        for term in (t.strip() for t in params.split(",")):
            descending = term.startswith("-")
            key = term.lstrip("-")
            if key in allowed:
                ordering.append(("-" if descending else "") + allowed[key])
        if not ordering:
            ordering = list(self.get_default_ordering(view) or ["-pk"])
        if not any(term.lstrip("-") in ("id", "pk") for term in ordering):
            descending = ordering[0].startswith("-")
            ordering.append("-pk" if descending else "pk")
        return ordering

    def get_default_ordering(self, view: Any) -> list[str] | None:
        ordering = getattr(view, "ordering", None)
        if isinstance(ordering, str):
            return [ordering]
        return list(ordering) if ordering else None

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        keys = sorted(self._allowed(view))
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": f"{self.ordering_description} Keys: {', '.join(keys)}.",
                "schema": {"type": "string"},
            }
        ]


MAX_ID = 2**63 - 1


class IdField(forms.IntegerField):
    """A row id from a query string: a positive integer the database can hold."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class IdFilter(django_filters.NumberFilter):
    """Filter on a foreign key id; out-of-range or non-numeric input is a 400, never a 500."""

    field_class = IdField


def day_range(
    field_name: str, *, timestamp: bool
) -> tuple[django_filters.DateFilter, django_filters.DateFilter]:
    """The first and the last day of a range on `field_name`, both included, for a pair of
    query keys (`opened_from, opened_to = day_range("opened_at", timestamp=True)`). A
    timestamp is compared by its day in the site's time zone, a date as it is."""
    day = "date__" if timestamp else ""
    return (
        django_filters.DateFilter(field_name=field_name, lookup_expr=f"{day}gte"),
        django_filters.DateFilter(field_name=field_name, lookup_expr=f"{day}lte"),
    )
