"""Search across clients and the cases the user may see."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from casebook.common.web import page_view
from casebook.intake import selectors, services
from casebook.intake.forms import SearchForm

RESULT_LIMIT = 50


@page_view
def search(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = SearchForm(request.GET)
    text = form.cleaned_data["q"] if form.is_valid() else ""
    clients = list(selectors.client_search(user=user, text=text)[:RESULT_LIMIT]) if text else []
    cases = list(selectors.case_search(user=user, text=text)[:RESULT_LIMIT]) if text else []
    services.access_log_record(user=user, cases=cases, via="search", once_a_day=True)
    return render(
        request,
        "intake/search.html",
        {"form": form, "q": text, "clients": clients, "cases": cases, "limit": RESULT_LIMIT},
    )
