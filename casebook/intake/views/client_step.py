"""The client step of the screens that start from a client — intake, and a staff booking at a
satellite (satellites/views/booking.py): the client chosen from the search, and the duplicate
warning a registration may raise (templates/includes/client_search.html draws the search)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest

from casebook.intake.models import Client
from casebook.intake.selectors.clients import client_get_for_user
from casebook.intake.services.clients import PossibleDuplicateClient


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
