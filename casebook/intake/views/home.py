"""My cases: the home page of every staff member."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from casebook.intake import policy, selectors
from casebook.intake.views import queries
from casebook.intake.views.common import screen


@screen
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not policy.is_staff_member(user) and hasattr(user, "expert_profile"):
        # An expert's login has no cases, only dispatches: their page is the dispatch desk.
        return redirect("experts:desk")
    cases = queries.my_open_cases(user)
    return render(
        request,
        "intake/home.html",
        {
            "cases": cases,
            "follow_ups": queries.overdue_follow_ups(cases),
            "holds": queries.holds_due(cases),
            "desks": queries.desks_of_user(user),
            "may_take_intake": policy.desks_for_intake(user).exists(),
            "grace_alerts": selectors.ip_grace_period_alerts(user),
        },
    )
