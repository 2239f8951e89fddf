"""The desk board: the queue and the open cases by status, live-refreshed as a partial."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from casebook.accounts.models import Desk
from casebook.intake.views import queries
from casebook.intake.views.common import screen


def _context(request: HttpRequest, desk: Desk) -> dict[str, Any]:
    columns = queries.board_columns(request.user, desk)
    queue = next(column for column in columns if column.status == "intake")
    may_assign = any("assign" in case.board_actions for case in queue.cases)
    return {
        "desk": desk,
        "columns": columns,
        "staff": queries.desk_staff(desk) if may_assign else [],
        "extras": queries.board_extras(request.user, desk),
        "desks": queries.desks_of_user(request.user),
    }


@screen
def board(request: HttpRequest, code: str) -> HttpResponse:
    desk = queries.desk_get_for_user(request.user, code)
    return render(request, "intake/board.html", _context(request, desk))


@screen
def board_columns(request: HttpRequest, code: str) -> HttpResponse:
    """Only the columns, for the live refresh (`#board` is re-filled with this)."""
    desk = queries.desk_get_for_user(request.user, code)
    return render(request, "intake/board.html#columns", _context(request, desk))
