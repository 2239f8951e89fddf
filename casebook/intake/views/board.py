"""The desk board: per status a count and the first cards, "more" cards loaded into a column,
live-refreshed as a partial (docs/performance.md, "The desk board")."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from casebook.accounts.models import Desk
from casebook.accounts.selectors import desk_case_workers, desk_get_for_user, desks_shown_to
from casebook.common.web import page_view, url_for_each
from casebook.intake import selectors, services
from casebook.intake.models import Case, CaseStatus
from casebook.intake.views.rows import Dates


def _shown_cards(request: HttpRequest, desk: Desk, cases: list[Case]) -> dict[str, Any]:
    """What the cards need besides the cases: their links, and the staff of the assign form
    when a card offers it.

    Built once for the page rather than per card (docs/performance.md, "The desk board"):
    each card's links from one `reverse` of each URL, and the staff's options, the same in
    every card's assign form, drawn once.
    """
    # A board is a list: each restricted case on it is logged once a day, not every refresh.
    services.access_log_record(user=request.user, cases=cases, via="board", once_a_day=True)
    detail_url, assign_url = url_for_each("case_detail"), url_for_each("case_assign")
    # Whether a card's dates are past and how long an intake has waited, from one today for
    # the page: what the card's `is_past` and `age_days` filters computed, each asking the
    # time zone for today again (docs/performance.md, "The desk board").
    dates = Dates()
    for case in cases:
        case.detail_url = detail_url(case.pk)
        case.assign_url = assign_url(case.pk)
        case.resume_past = dates.is_past(case.resume_by)
        case.follow_up_past = dates.is_past(case.next_follow_up)
        if case.status == CaseStatus.INTAKE:
            case.waited = dates.days_since(case.opened_at)
    may_assign = any("assign" in case.offered for case in cases)
    return {
        "desk": desk,
        "board_url": reverse("desk_board", args=[desk.code]),
        "staff_options": _staff_options(desk) if may_assign else "",
    }


def _staff_options(desk: Desk) -> SafeString:
    """The `<option>`s of the assign form's counselor list (after its placeholder)."""
    people = desk_case_workers(desk=desk)
    return format_html_join("", '<option value="{}">{}</option>', ((p.pk, p) for p in people))


def _context(request: HttpRequest, desk: Desk) -> dict[str, Any]:
    user = request.user
    columns = selectors.board_columns(user=user, desk=desk)
    shown = [case for column in columns for case in column.cases]
    return {
        **_shown_cards(request, desk, shown),
        "columns": columns,
        "extras": selectors.board_extras(user=user, desk=desk),
        "desks": desks_shown_to(user=user),
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


@page_view
def board_more(request: HttpRequest, code: str) -> HttpResponse:
    """The next cards of one column (`?status=intake&after=<case id>`), in place of its
    "more" control, which they end with while more follow."""
    desk = desk_get_for_user(user=request.user, code=code)
    try:
        column = selectors.board_column_more(
            user=request.user,
            desk=desk,
            status=request.GET.get("status", ""),
            after=int(request.GET.get("after", "")),
        )
    except ValueError:
        raise Http404("no such column or card") from None
    context = {**_shown_cards(request, desk, column.cases), "column": column}
    return render(request, "intake/board.html#more-cards", context)
