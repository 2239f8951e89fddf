"""Cursor pagination for every list: `{next, previous, results}`, 50 a page, at most 200."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q, QuerySet
from rest_framework.pagination import CursorPagination

from casebook.common.branches import first_rows


class CasebookCursorPagination(CursorPagination):
    """Stable pages under concurrent inserts. `?page_size=` picks the size (1–200).

    The ordering comes from the view's `AllowListOrderingFilter` when it has one, else from
    the view's `ordering` attribute (a unique, non-null field last keeps pages stable).
    """

    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    cursor_query_param = "cursor"
    ordering = "-pk"


class BranchPaged:
    """A list's queryset as the cursor pagination uses it (ordered, filtered by the cursor's
    position, then sliced), whose slice is read one visibility branch at a time
    (`common.branches.first_rows`): each branch an index scan that stops at the page. Every
    order and filter is applied to the list and to its `base` (the list without the rule)."""

    def __init__(self, queryset: QuerySet, base: QuerySet, branches: Sequence[Q]) -> None:
        self.queryset = queryset
        self.base = base
        self.branches = branches

    def order_by(self, *fields: Any) -> BranchPaged:
        return BranchPaged(
            self.queryset.order_by(*fields), self.base.order_by(*fields), self.branches
        )

    def filter(self, *args: Any, **kwargs: Any) -> BranchPaged:
        return BranchPaged(
            self.queryset.filter(*args, **kwargs),
            self.base.filter(*args, **kwargs),
            self.branches,
        )

    def __getitem__(self, window: slice) -> QuerySet:
        return first_rows(
            self.queryset,
            base=self.base,
            branches=self.branches,
            start=window.start or 0,
            stop=window.stop,
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self.queryset, name)
