"""My cases: the home page of every staff member."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from casebook.intake import policy, selectors
from casebook.intake.views import queries
from casebook.intake.views.common import screen


@screen
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
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
