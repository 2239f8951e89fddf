"""Cursor pagination for every list: `{next, previous, results}`, 50 a page, at most 200."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination


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
