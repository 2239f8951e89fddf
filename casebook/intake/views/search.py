"""Search across clients and the cases the user may see."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from casebook.intake import selectors
from casebook.intake.forms import SearchForm
from casebook.intake.views import queries
from casebook.intake.views.common import screen

RESULT_LIMIT = 50


@screen
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    text = form.cleaned_data["q"] if form.is_valid() else ""
    clients = list(selectors.client_search(request.user, text)[:RESULT_LIMIT]) if text else []
    cases = list(queries.case_search(request.user, text)[:RESULT_LIMIT]) if text else []
    return render(
        request,
        "intake/search.html",
        {"form": form, "q": text, "clients": clients, "cases": cases, "limit": RESULT_LIMIT},
    )
