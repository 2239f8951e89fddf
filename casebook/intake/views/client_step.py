"""The client step of the screens that start from a client — intake, a staff booking at a
satellite (satellites/views/booking.py), a participant of an activity
(reports/views/activities.py): the search and its live results, the client chosen from them,
and the duplicate warning a registration may raise (templates/includes/client_search.html
draws the search)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from casebook.intake.forms import SearchForm
from casebook.intake.models import Client
from casebook.intake.selectors.clients import client_get_for_user, client_search
from casebook.intake.services.clients import PossibleDuplicateClient

SEARCH_LIMIT = 20


@dataclass(frozen=True)
class ClientSearch:
    """What the search card shows: the text searched and the clients it found; `results` is
    the answer to an htmx search (the results alone), None for a full page."""

    q: str
    found: list[Client]
    results: HttpResponse | None


def client_search_step(
    request: HttpRequest, *, search_url: str, client_details: bool = False, **extra: Any
) -> ClientSearch:
    """The search of `?q=` among the clients the reader may see (at most SEARCH_LIMIT), and
    for an htmx GET the results fragment, its "Use" links back to `search_url`."""
    search = SearchForm(request.GET)
    text = search.cleaned_data["q"] if search.is_valid() else ""
    found = list(client_search(user=request.user, text=text)[:SEARCH_LIMIT]) if text else []
    results = None
    if request.headers.get("HX-Request") and request.method == "GET":
        results = render(
            request,
            "includes/client_search.html#client-results",
            {"q": text, "found": found, "search_url": search_url, "client_details": client_details}
            | extra,
        )
    return ClientSearch(q=text, found=found, results=results)


def chosen_client(request: HttpRequest, pk: Any) -> Client | None:
    """The client the form names (`?client=` or its hidden field), through the getter (404)."""
    if pk in (None, ""):
        return None
    return client_get_for_user(user=request.user, pk=pk)


@contextmanager
def duplicates_to_confirm(context: dict[str, Any]) -> Iterator[None]:
    """A new client that looks like one on file is a warning to confirm, not a refusal: the
    candidates go to the page as `duplicates` (with "register anyway"), the message to the
    name field."""
    try:
        yield
    except PossibleDuplicateClient as duplicate:
        context["duplicates"] = duplicate.candidates
        raise ValidationError({"name": duplicate.message}) from duplicate
