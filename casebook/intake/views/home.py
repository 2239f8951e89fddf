"""My cases: the home page of every staff member."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from casebook.accounts.selectors import desk_list_for_user
from casebook.common.paging import page_number
from casebook.common.web import page_view, url_for_each
from casebook.intake import policy, selectors, services
from casebook.intake.views.rows import NO_VALUE, Dates, case_links, logged_reads, status_badges


@page_view
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not policy.is_staff_member(user) and hasattr(user, "expert_profile"):
        # An expert's login has no cases, only dispatches: their page is the dispatch desk.
        return redirect("experts:desk")
    mine = selectors.my_open_cases(user=user)
    # Each list of the page is paged on its own (docs/rules.md: every screen is bounded).
    cases = selectors.my_open_cases_page(cases=mine, number=page_number(request.GET))
    follow_ups = selectors.overdue_follow_ups(
        cases=mine, number=page_number(request.GET, "follow_ups_page")
    )
    holds = selectors.holds_due(cases=mine, number=page_number(request.GET, "holds_page"))
    alerts = selectors.ip_grace_period_alerts(user=user)
    rows = [*cases, *follow_ups, *holds]
    services.access_log_record(
        user=user,
        cases=[*logged_reads(rows), *(a.case for a in alerts)],
        via="home",
        once_a_day=True,
    )
    # What each row shows, computed once here rather than by filters and an include per row
    # in the template (docs/performance.md, "My cases and the client page").
    case_links(rows, clients=True)
    status_badges(cases)
    dates = Dates()
    for row in rows:
        follow_up, resume_by = row["next_follow_up"], row["resume_by"]
        row["lead_label"] = (
            (row["lead_counselor__display_name"] or row["lead_counselor__username"])
            if row["lead_counselor_id"]
            else NO_VALUE
        )
        row["opened_iso"] = dates.iso(row["opened_at"])
        row["opened_label"] = dates.label(row["opened_at"])
        row["follow_up_iso"] = dates.iso(follow_up)
        row["follow_up_label"] = dates.label(follow_up)
        row["follow_up_cell"] = row["follow_up_label"] or NO_VALUE
        row["follow_up_past"] = dates.is_past(follow_up)
        row["resume_iso"] = dates.iso(resume_by)
        row["resume_label"] = dates.label(resume_by)
        row["resume_past"] = dates.is_past(resume_by)
    case_url = url_for_each("case_detail")
    for alert in alerts:
        alert.case.detail_url = case_url(alert.case.pk)
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
