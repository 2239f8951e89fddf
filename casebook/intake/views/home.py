"""My cases: the home page of every staff member."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from casebook.accounts.selectors import desk_list_for_user
from casebook.common.web import page_view
from casebook.intake import policy, selectors, services


@page_view
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not policy.is_staff_member(user) and hasattr(user, "expert_profile"):
        # An expert's login has no cases, only dispatches: their page is the dispatch desk.
        return redirect("experts:desk")
    cases = list(selectors.my_open_cases(user=user))
    alerts = selectors.ip_grace_period_alerts(user=user)
    services.access_log_record(
        user=user, cases=[*cases, *(a.case for a in alerts)], via="home", once_a_day=True
    )
    return render(
        request,
        "intake/home.html",
        {
            "cases": cases,
            "follow_ups": selectors.overdue_follow_ups(cases),
            "holds": selectors.holds_due(cases),
            "desks": desk_list_for_user(user=user),
            "may_take_intake": policy.may_take_intakes(user),
            "grace_alerts": alerts,
        },
    )
