"""My cases: the home page of every staff member."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from casebook.accounts.selectors import desks_shown_to
from casebook.common.paging import page_number
from casebook.common.web import page_view, url_for_each
from casebook.intake import policy, selectors, services
from casebook.intake.views.rows import (
    NO_VALUE,
    Dates,
    case_links,
    draw_rows,
    logged_reads,
    status_badges,
)


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
    # Each row drawn from text kept once per shape, its values filled in: not the template
    # engine resolving, escaping and joining each value of each row.
    links = {"detail_url": "detail_url", "number": "number", "title": "title"}
    draw_rows(
        cases,
        "intake/_my_case_row.html",
        to="row_html",
        shape={"client_id": "client_id", "follow_up_past": "follow_up_past"},
        holes={
            **links,
            "client_url": "client_url",
            "client_name": "client__name",
            "status_html": "status_html",
            "lead_label": "lead_label",
            "opened_iso": "opened_iso",
            "opened_label": "opened_label",
            "follow_up_cell": "follow_up_cell",
        },
    )
    draw_rows(
        follow_ups,
        "intake/_my_follow_up_row.html",
        to="follow_up_html",
        shape={"follow_up_past": "follow_up_past"},
        holes={**links, "follow_up_iso": "follow_up_iso", "follow_up_label": "follow_up_label"},
    )
    draw_rows(
        holds,
        "intake/_my_hold_row.html",
        to="hold_html",
        shape={"resume_past": "resume_past"},
        holes={
            **links,
            "resume_iso": "resume_iso",
            "resume_label": "resume_label",
            "hold_reason": "hold_reason",
        },
    )
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
            "desks": desks_shown_to(user=user),
            "may_take_intake": policy.may_take_intakes(user),
            "grace_alerts": alerts,
        },
    )
