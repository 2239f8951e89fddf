"""The client page: who they are, the cases the user may see, outcomes over time."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from casebook.intake import selectors
from casebook.intake.views import queries
from casebook.intake.views.common import screen


@screen
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    client = selectors.client_get_for_user(request.user, pk)
    outcomes = list(queries.client_outcomes_for_user(request.user, client))
    peak = max((o.sales_yen or 0 for o in outcomes), default=0)
    for outcome in outcomes:
        outcome.sales_share = round(100 * (outcome.sales_yen or 0) / peak) if peak else 0
    return render(
        request,
        "intake/client_detail.html",
        {
            "client": client,
            "cases": selectors.cases_of_client_for_user(request.user, client).prefetch_related(
                "topics"
            ),
            "outcomes": outcomes,
        },
    )
