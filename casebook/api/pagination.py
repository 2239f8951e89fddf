"""Cursor pagination for every list: `{next, previous, results}`, 50 a page, at most 200."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet, prefetch_related_objects
from django.utils.dateparse import parse_datetime
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request


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

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: Any = None
    ) -> list[Any] | None:
        """DRF's cursor page; of rows of values where the view reads its page so
        (`ReadViewSet.page_rows`), with the column of the cursor's position among them."""
        page_rows = getattr(view, "page_rows", None)
        if page_rows is not None:
            position = self.get_ordering(request, queryset, view)[0].lstrip("-")
            queryset = page_rows(queryset, (position,))
        return super().paginate_queryset(queryset, request, view)

    def paginate_newest_first(
        self,
        queryset: QuerySet,
        request: Request,
        view: Any,
        *,
        field: str,
        newest: Callable[[], NewestRows | None],
    ) -> list[Any] | None:
        """`paginate_queryset`, read from the list's newest rows (`newest()`) where they
        give the same page, rows, order and cursors (docs/performance.md, "Search").

        When the page's order (the cursor's direction applied) starts with `field` from the
        newest down, the newest rows start the list's order (every older row comes after
        them, ties included, as they share their `field`): their slice is the list's when it
        holds the row after the page. When the order goes up `field` from a cursor at or
        after `since`, every row after the cursor is one of the newest. Any other order, or
        a slice the newest rows do not fill, is read from `queryset`."""
        ordering = self.get_ordering(request, queryset, view)
        cursor = self.decode_cursor(request)
        reverse = cursor is not None and cursor.reverse
        if ordering[0].lstrip("-") != field:
            return self.paginate_queryset(queryset, request, view)
        descending = ordering[0].startswith("-") != reverse
        position = None
        if cursor is not None and cursor.position is not None:
            position = _instant(cursor.position)
            if position is None:
                # Not a position this list makes: read as any list reads it.
                return self.paginate_queryset(queryset, request, view)
        if not descending and position is None:
            return self.paginate_queryset(queryset, request, view)
        window = newest()
        if window is None:
            return self.paginate_queryset(queryset, request, view)
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
        return self.paginate_queryset(queryset, request, view)
