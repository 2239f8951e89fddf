"""My cases: the home page of every staff member."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from casebook.accounts.selectors import desk_list_for_user
from casebook.common.paging import page_number, page_of
from casebook.common.web import page_view
from casebook.intake import policy, selectors, services


@page_view
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not policy.is_staff_member(user) and hasattr(user, "expert_profile"):
        # An expert's login has no cases, only dispatches: their page is the dispatch desk.
        return redirect("experts:desk")
    mine = selectors.my_open_cases(user=user)
    # Each list of the page is paged on its own (docs/rules.md: every screen is bounded).
    cases = page_of(mine, number=page_number(request.GET))
    follow_ups = page_of(
        selectors.overdue_follow_ups(cases=mine),
        number=page_number(request.GET, "follow_ups_page"),
    )
    holds = page_of(selectors.holds_due(cases=mine), number=page_number(request.GET, "holds_page"))
    alerts = selectors.ip_grace_period_alerts(user=user)
    services.access_log_record(
        user=user,
        cases=[*cases, *follow_ups, *holds, *(a.case for a in alerts)],
        via="home",
        once_a_day=True,
    )
    return render(
        request,
        "intake/home.html",
        {
            "cases": cases,
            "follow_ups": follow_ups,
            "holds": holds,
            "desks": desk_list_for_user(user=user),
            "may_take_intake": policy.may_take_intakes(user),
            "grace_alerts": alerts,
        },
    )
