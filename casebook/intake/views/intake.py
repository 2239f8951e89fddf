"""Intake: search for the client (kanji or kana), or register a new one, then open the case."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from casebook.common.errors import ActionNotPermitted
from casebook.common.web import form_action, new_form_token, page_view
from casebook.intake import policy, selectors, services
from casebook.intake.forms import IntakeForm
from casebook.intake.models import Case
from casebook.intake.views.client_step import (
    chosen_client,
    client_search_step,
    duplicates_to_confirm,
)

ALREADY_SENT = gettext_lazy("This intake was already sent; nothing was saved twice.")


@require_http_methods(["GET", "POST"])
@page_view
def intake(request: HttpRequest) -> HttpResponse:
    if not policy.may_take_intakes(request.user):
        raise ActionNotPermitted(_("only desk staff or a manager take intakes"))
    desks = policy.desks_for_intake(request.user)
    search = client_search_step(request, search_url=reverse("intake"), client_details=True)
    if search.results:
        return search.results
    text = search.q
    context: dict[str, Any] = {"q": text, "found": search.found, "duplicates": []}
    if request.method == "GET":
        chosen = chosen_client(request, request.GET.get("client"))
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
    chosen = chosen_client(request, request.POST.get("client"))
    context |= {"form": form, "chosen": chosen}

    def perform(data: dict[str, Any]) -> Case:
        with duplicates_to_confirm(context):
            return services.intake_take(
                by=request.user,
                desk=data["desk"],
                client=chosen,
                new_client=form.client_fields() if form.has_client_details() else None,
                allow_duplicate=data["allow_duplicate"],
                lead_counselor=request.user if data["take_myself"] else None,
                **form.case_fields(),
            )

    return form_action(
        request,
        form=form,
        perform=perform,
        done=lambda case: _("Case %s is opened.") % case.number,
        success_url=lambda case: reverse("case_detail", args=[case.pk]),
        render_form=lambda form, status: render(
            request, "intake/intake.html", context, status=status
        ),
        rename={"client": "name"},
        once=True,
        replayed=ALREADY_SENT,
    )


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
    return render(
        request,
        "includes/client_step.html#duplicates",
        {"duplicates": candidates, "search_url": reverse("intake"), "client_details": True},
    )
