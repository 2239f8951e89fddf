"""The desk board: the queue and the open cases by status, live-refreshed as a partial."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from casebook.accounts.models import Desk
from casebook.accounts.selectors import desk_case_workers, desk_get_for_user, desk_list_for_user
from casebook.common.web import page_view
from casebook.intake import selectors, services


def _context(request: HttpRequest, desk: Desk) -> dict[str, Any]:
    user = request.user
    columns = selectors.board_columns(user=user, desk=desk)
    shown = [case for column in columns for case in column.cases]
    # A board is a list: each restricted case on it is logged once a day, not every refresh.
    services.access_log_record(user=user, cases=shown, via="board", once_a_day=True)
    may_assign = any("assign" in case.offered for case in shown)
    return {
        "desk": desk,
        "columns": columns,
        "staff": desk_case_workers(desk=desk) if may_assign else [],
        "extras": selectors.board_extras(user=user, desk=desk),
        "desks": desk_list_for_user(user=user),
    }


@page_view
def board(request: HttpRequest, code: str) -> HttpResponse:
    desk = desk_get_for_user(user=request.user, code=code)
    return render(request, "intake/board.html", _context(request, desk))


@page_view
def board_columns(request: HttpRequest, code: str) -> HttpResponse:
    """Only the columns, for the live refresh (`#board` is re-filled with this)."""
    desk = desk_get_for_user(user=request.user, code=code)
    return render(request, "intake/board.html#columns", _context(request, desk))
