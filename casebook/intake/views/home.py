"""My cases: the home page of every staff member."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from casebook.accounts.selectors import desk_list_for_user
from casebook.common.paging import page_number, page_of
from casebook.common.web import page_view, url_for_each
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
    shown = [*cases, *follow_ups, *holds, *(a.case for a in alerts)]
    services.access_log_record(user=user, cases=shown, via="home", once_a_day=True)
    # Each row's links from one `reverse` of each URL for the page, not a `{% url %}` per
    # row (docs/performance.md, "My cases and the client page").
    case_url, client_url = url_for_each("case_detail"), url_for_each("client_detail")
    for case in shown:
        case.detail_url = case_url(case.pk)
        case.client_url = client_url(case.client_id) if case.client_id else ""
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
