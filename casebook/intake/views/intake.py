"""Intake: search for the client (kanji or kana), or register a new one, then open the case."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from casebook.common.errors import ActionNotPermitted
from casebook.common.web import (
    apply_service_errors,
    claim_form_token,
    new_form_token,
    page_view,
    release_form_token,
    settle_form_token,
)
from casebook.intake import policy, selectors, services
from casebook.intake.forms import IntakeForm, SearchForm
from casebook.intake.models import Client
from casebook.intake.services.clients import PossibleDuplicateClient

SEARCH_LIMIT = 20


def _search_results(request: HttpRequest) -> tuple[SearchForm, str, list[Client]]:
    search = SearchForm(request.GET)
    text = search.cleaned_data["q"] if search.is_valid() else ""
    found = (
        list(selectors.client_search(user=request.user, text=text)[:SEARCH_LIMIT]) if text else []
    )
    return search, text, found


def _chosen_client(request: HttpRequest, pk: Any) -> Client | None:
    if pk in (None, ""):
        return None
    return selectors.client_get_for_user(user=request.user, pk=pk)


@require_http_methods(["GET", "POST"])
@page_view
def intake(request: HttpRequest) -> HttpResponse:
    if not policy.may_take_intakes(request.user):
        raise ActionNotPermitted(_("only desk staff or a manager take intakes"))
    desks = policy.desks_for_intake(request.user)
    search, text, found = _search_results(request)
    if request.headers.get("HX-Request") and request.method == "GET":
        return render(request, "intake/intake.html#client-results", {"q": text, "found": found})
    context: dict[str, Any] = {"search": search, "q": text, "found": found, "duplicates": []}
    if request.method == "GET":
        chosen = _chosen_client(request, request.GET.get("client"))
        form = IntakeForm(
            initial={
                "form_token": new_form_token(),
                "client": chosen.pk if chosen else None,
                "desk": desks.first(),
                "name": "" if chosen else text,
            },
            desks=desks,
        )
        return render(request, "intake/intake.html", context | {"form": form, "chosen": chosen})

    form = IntakeForm(request.POST, desks=desks)
    chosen = _chosen_client(request, request.POST.get("client"))
    context |= {"form": form, "chosen": chosen}
    if not form.is_valid():
        return render(request, "intake/intake.html", context)
    data = form.cleaned_data
    token = data["form_token"]
    first, where = claim_form_token(request, token)
    if not first:
        messages.info(request, _("This intake was already sent; nothing was saved twice."))
        return redirect(where or reverse("home"))
    try:
        case = services.intake_take(
            by=request.user,
            desk=data["desk"],
            client=chosen,
            new_client=form.client_fields() if form.has_client_details() else None,
            allow_duplicate=data["allow_duplicate"],
            title=data["title"],
            intake_channel=data["intake_channel"],
            topics=data["topics"],
            intake_office=data["intake_office"],
            priority=data["priority"],
            confidentiality=data["confidentiality"] or None,
            lead_counselor=request.user if data["take_myself"] else None,
        )
    except PossibleDuplicateClient as duplicate:
        release_form_token(request, token)
        form.add_error("name", duplicate.message)
        context["duplicates"] = duplicate.candidates
        return render(request, "intake/intake.html", context)
    except ValidationError as error:
        release_form_token(request, token)
        apply_service_errors(form, error, rename={"client": "name"})
        return render(request, "intake/intake.html", context)
    except Exception:
        release_form_token(request, token)
        raise
    url = reverse("case_detail", args=[case.pk])
    settle_form_token(request, token, url)
    messages.success(request, _("Case %s is opened.") % case.number)
    return redirect(url)


@require_GET
@page_view
def intake_duplicates(request: HttpRequest) -> HttpResponse:
    """The duplicate warning while the new client is typed (same 法人番号, or name + phone)."""
    if not policy.may_take_intakes(request.user):
        raise ActionNotPermitted(_("only desk staff or a manager take intakes"))
    candidates = list(
        selectors.client_duplicates(
            user=request.user,
            name=request.GET.get("name", ""),
            phone=request.GET.get("phone", ""),
            corporate_number=request.GET.get("corporate_number", ""),
        )[:5]
    )
    return render(request, "intake/intake.html#duplicates", {"duplicates": candidates})
