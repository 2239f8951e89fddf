"""The client page: who they are, the cases the user may see, outcomes over time."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from casebook.common.web import page_view
from casebook.intake import selectors, services


@page_view
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    client = selectors.client_get_for_user(user=user, pk=pk)
    cases = list(
        selectors.cases_of_client_for_user(user=user, client=client).prefetch_related("topics")
    )
    services.access_log_record(user=user, cases=cases, via="client", once_a_day=True)
    outcomes = list(selectors.client_outcomes_for_user(user=user, client=client))
    peak = max((o.sales_yen or 0 for o in outcomes), default=0)
    for outcome in outcomes:
        outcome.sales_share = round(100 * (outcome.sales_yen or 0) / peak) if peak else 0
    return render(
        request,
        "intake/client_detail.html",
        {"client": client, "cases": cases, "outcomes": outcomes},
    )
