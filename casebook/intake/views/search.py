"""Search across clients and the cases the user may see (docs/performance.md, "Search")."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from casebook.common.paging import page_number
from casebook.common.web import page_view, url_for_each
from casebook.intake import selectors, services
from casebook.intake.forms import SearchForm
from casebook.intake.views.rows import (
    Dates,
    Row,
    case_links,
    draw_rows,
    logged_reads,
    status_labels,
)

RESULT_LIMIT = 50


def search_rows(clients: Iterable[Row], cases: Iterable[Row]) -> None:
    """Put on each found client and case what its row shows (`row_html`), computed once here
    rather than by a `{% url %}`, a label and a filter per row in the template, and drawn from
    text kept once per shape of a row (`draw_rows`; docs/performance.md, "Search")."""
    client_url = url_for_each("client_detail")
    for found in clients:
        found["detail_url"] = client_url(found["id"])
    draw_rows(
        clients,
        "intake/_search_client_row.html",
        to="row_html",
        shape={"has_corporate_number": "corporate_number"},
        holes={
            name: name
            for name in ("detail_url", "name", "name_kana", "corporate_number", "municipality")
        },
    )
    case_links(cases)
    labels, dates = status_labels(), Dates()
    for case in cases:
        case["status_label"] = labels.get(case["status"], case["status"])
        case["opened_label"] = dates.label(case["opened_at"])
    draw_rows(
        cases,
        "intake/_search_case_row.html",
        to="row_html",
        shape={"has_client": "client_id"},
        holes={
            "detail_url": "detail_url",
            "number": "number",
            "title": "title",
            "client_name": "client__name",
            "status_label": "status_label",
            "opened_label": "opened_label",
        },
    )


@page_view
def search(request: HttpRequest) -> HttpResponse:
    """Clients and cases matching `q`, each list paged (`client_page`, `case_page`)."""
    user = request.user
    form = SearchForm(request.GET)
    text = form.cleaned_data["q"] if form.is_valid() else ""
    context = {"form": form, "q": text, "query": urlencode({"q": text}) + "&"}
    if text:
        clients = selectors.client_search_page(
            user=user,
            text=text,
            number=page_number(request.GET, "client_page"),
            size=RESULT_LIMIT,
        )
        cases = selectors.case_search_page(
            user=user,
            text=text,
            number=page_number(request.GET, "case_page"),
            size=RESULT_LIMIT,
        )
        services.access_log_record(
            user=user, cases=logged_reads(cases), via="search", once_a_day=True
        )
        # What each row shows, computed once here rather than by a `{% url %}`, a label and a
        # filter per row in the template (docs/performance.md, "Search").
        search_rows(clients, cases)
        context.update(clients=clients, cases=cases)
    return render(request, "intake/search.html", context)
