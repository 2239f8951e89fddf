"""The client page, the client's edit form with its merge of a stale edit, merging two
clients, and the client's contacts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from casebook.common.errors import StaleVersion
from casebook.common.exports import csv_response, json_response
from casebook.common.japanese import format_postal_code
from casebook.common.japanese import postal_code_place as place_of
from casebook.common.paging import page_number
from casebook.common.web import form_action, new_form_token, page_view, url_for_each
from casebook.intake import policy, selectors, services
from casebook.intake.forms import ClientEditForm, ClientFieldsForm, ClientMergeForm, ContactForm
from casebook.intake.models import CLIENT_INPUT_FIELDS, Client, ClientContact, Confidentiality
from casebook.intake.services.clients import PossibleDuplicateClient
from casebook.intake.views.rows import (
    NO_VALUE,
    Dates,
    case_links,
    draw_rows,
    logged_reads,
    status_badges,
)


@page_view
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    client = selectors.client_get_for_user(user=user, pk=pk)
    # The page's reads are statements compiled once (per login's facts where the rule is the
    # reader's) and only executed here (docs/performance.md, "My cases and the client page").
    cases = selectors.client_case_rows_page(
        user=user, client=client, number=page_number(request.GET)
    )
    services.access_log_record(user=user, cases=logged_reads(cases), via="client", once_a_day=True)
    outcomes = selectors.client_outcome_list_for_user(user=user, client=client)
    peak = max((o.sales_yen or 0 for o in outcomes), default=0)
    # What each row shows, computed once here rather than by filters and an include per row
    # in the template (docs/performance.md, "My cases and the client page").
    case_links(cases)
    status_badges(cases)
    dates = Dates()
    for case in cases:
        case["opened_label"] = dates.label(case["opened_at"])
        case["closed_label"] = dates.label(case["closed_at"]) or NO_VALUE
    # Each row drawn from text kept once, its values filled in (templates/intake/
    # _client_case_row.html): not the template engine resolving each value of each row.
    draw_rows(
        cases,
        "intake/_client_case_row.html",
        to="row_html",
        shape={},
        holes={
            "detail_url": "detail_url",
            "number": "number",
            "title": "title",
            "desk_name": "desk__name",
            "status_html": "status_html",
            "opened_label": "opened_label",
            "closed_label": "closed_label",
        },
    )
    case_url = url_for_each("case_detail")
    for outcome in outcomes:
        outcome.sales_share = round(100 * (outcome.sales_yen or 0) / peak) if peak else 0
        outcome.case_url = case_url(outcome.case_id) if outcome.case_id else ""
    context = {
        "client": client,
        "cases": cases,
        "outcomes": outcomes,
        "contacts": selectors.contact_rows_for_user(user=user, client=client),
        "actions": policy.client_offered_actions(user),
    }
    return render(request, "intake/client_detail.html", context)


@require_GET
@page_view
def client_personal_data(request: HttpRequest, pk: int) -> HttpResponse:
    """The APPI disclosure of one client (個人情報の開示): everything held, as JSON or CSV
    (`?format=csv`); every case it holds is written to the access log."""
    user = request.user
    client = selectors.client_get_for_user(user=user, pk=pk)
    document = selectors.client_personal_data(user=user, client=client)
    services.access_log_record(
        user=user,
        cases=selectors.cases_of_client_for_user(user=user, client=client),
        via="appi_export",
        levels=Confidentiality.values,
    )
    stem = f"personal-data-client-{client.pk}"
    if request.GET.get("format") == "csv":
        header = ["section", "record", "field", "value"]
        return csv_response(f"{stem}.csv", header, selectors.personal_data_rows(document))
    return json_response(f"{stem}.json", document)


# --- edit -----------------------------------------------------------------------------------


def _client_initial(client: Client) -> dict[str, Any]:
    return {name: getattr(client, name) for name in CLIENT_INPUT_FIELDS} | {
        "version": client.version
    }


def _readable(form: forms.Form, name: str, value: Any) -> str:
    field = form.fields[name]
    if isinstance(field, forms.BooleanField):
        return "✓" if value else "—"
    choices = dict(getattr(field, "choices", ()))
    if value in choices and value not in ("", None):
        return str(choices[value])
    return "—" if value in ("", None) else str(value)


def _client_comparison(
    form: ClientEditForm, theirs: dict[str, Any], yours: dict[str, Any]
) -> list[dict[str, Any]]:
    rows = []
    for name in CLIENT_INPUT_FIELDS:
        mine, other = yours.get(name), theirs.get(name)
        rows.append(
            {
                "label": form.fields[name].label,
                "theirs": _readable(form, name, other),
                "yours": _readable(form, name, mine),
                "differs": (mine or "") != (other or ""),
            }
        )
    return rows


@require_http_methods(["GET", "POST"])
@page_view
def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The client's details, checked as at intake. Saving over a newer change shows both
    versions and saves nothing; an edit that makes it look like another client warns."""
    user = request.user
    client = selectors.client_get_for_user(user=user, pk=pk)
    policy.require_client_action(user, "edit")
    if request.method == "POST":
        form = ClientEditForm(request.POST)
    else:
        form = ClientEditForm(initial=_client_initial(client) | {"form_token": new_form_token()})
    refused: dict[str, Any] = {}

    def perform(data: dict[str, Any]) -> Client:
        try:
            return services.client_update(
                client=client,
                by=user,
                expected_version=data["version"],
                allow_duplicate=data["allow_duplicate"],
                **form.client_fields(),
            )
        except (StaleVersion, PossibleDuplicateClient) as error:
            refused["error"] = error
            raise

    def render_form(form: forms.Form, status: int) -> HttpResponse:
        context: dict[str, Any] = {"client": client, "form": form}
        error = refused.get("error")
        if isinstance(error, PossibleDuplicateClient):
            context["duplicates"] = error.candidates
        elif isinstance(error, StaleVersion):
            current = selectors.client_get_for_user(user=user, pk=pk)
            latest = current.history.select_related("history_user").first()
            context |= {
                "conflict": _client_comparison(form, _client_initial(current), form.cleaned_data),
                "their_user": latest.history_user if latest else None,
                "their_at": latest.history_date if latest else None,
            }
            # What was typed stays; the newer version lets a second save apply it on purpose.
            form.data = form.data.copy()
            form.data["version"] = str(current.version)
        return render(request, "intake/client_edit.html", context, status=status)

    return _client_page_form(
        request,
        client,
        form=form,
        perform=perform,
        done=_("The client is saved."),
        render_form=render_form,
    )


def _client_page_form(
    request: HttpRequest,
    client: Client,
    *,
    form: forms.Form,
    perform: Callable[[dict[str, Any]], Any],
    done: str,
    render_form: Callable[[forms.Form, int], HttpResponse],
    anchor: str = "",
) -> HttpResponse:
    """A form of the client's page (its details, a merge, a contact): sent once (its form
    token), and back to the client's page, at `anchor`, once saved."""
    return form_action(
        request,
        form=form,
        perform=perform,
        done=done,
        success_url=reverse("client_detail", args=[client.pk]) + anchor,
        render_form=render_form,
        once=True,
    )


# --- merge ----------------------------------------------------------------------------------


def _other_client(request: HttpRequest, client: Client, value: Any) -> Client:
    try:
        other = selectors.client_get_for_user(user=request.user, pk=value)
    except Http404 as error:
        raise ValidationError({"other": _("no client with this number")}) from error
    if other.pk == client.pk:
        raise ValidationError({"other": _("a client is not merged into itself")})
    return other


def _merge_preview(request: HttpRequest, client: Client, form: ClientMergeForm) -> Any:
    """What merging the chosen client moves (None while the choice has errors)."""
    if not form.is_valid():
        return None
    try:
        other = _other_client(request, client, form.cleaned_data["other"])
    except ValidationError as error:
        form.add_error("other", error.error_dict["other"])
        return None
    return selectors.client_merge_preview(user=request.user, survivor=client, absorbed=other)


@require_http_methods(["GET", "POST"])
@page_view
def client_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge another client into this one: choose it, see what moves, confirm."""
    user = request.user
    client = selectors.client_get_for_user(user=user, pk=pk)
    policy.require_client_action(user, "merge")
    preview = None
    if request.method == "POST":
        form = ClientMergeForm(request.POST)
        preview = _merge_preview(request, client, form)
    elif request.GET.get("other"):
        form = ClientMergeForm(request.GET)
        preview = _merge_preview(request, client, form)
        if preview is not None:
            form = ClientMergeForm(
                initial={
                    "other": preview.absorbed.pk,
                    "survivor_version": client.version,
                    "other_version": preview.absorbed.version,
                    "form_token": new_form_token(),
                }
            )
    else:
        form = ClientMergeForm()

    def perform(data: dict[str, Any]) -> Client:
        return services.client_merge(
            survivor=client,
            absorbed=_other_client(request, client, data["other"]),
            by=user,
            expected_versions=(data["survivor_version"], data["other_version"]),
            reason=data["reason"],
        )

    def render_form(form: forms.Form, status: int) -> HttpResponse:
        context = {"client": client, "form": form, "preview": preview}
        return render(request, "intake/client_merge.html", context, status=status)

    if request.method != "POST":
        return render_form(form, 400 if form.errors else 200)
    return _client_page_form(
        request,
        client,
        form=form,
        perform=perform,
        done=_("The clients are merged."),
        render_form=render_form,
    )


# --- contacts -------------------------------------------------------------------------------


def _contact_form_page(
    request: HttpRequest,
    client: Client,
    contact: ClientContact | None,
    perform: Callable[[dict[str, Any], ContactForm], Any],
    done: str,
) -> HttpResponse:
    if request.method == "POST":
        form = ContactForm(request.POST)
    else:
        initial: dict[str, Any] = {"form_token": new_form_token()}
        if contact is not None:
            initial |= {
                name: getattr(contact, name)
                for name in ContactForm.base_fields
                if name != "form_token"
            }
        form = ContactForm(initial=initial)
    return _client_page_form(
        request,
        client,
        form=form,
        perform=lambda data: perform(data, form),
        done=done,
        render_form=lambda form, status: render(
            request,
            "intake/contact_form.html",
            {"client": client, "contact": contact, "form": form},
            status=status,
        ),
        anchor="#contacts",
    )


@require_http_methods(["GET", "POST"])
@page_view
def contact_new(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    client = selectors.client_get_for_user(user=user, pk=pk)
    policy.require_client_action(user, "edit")
    return _contact_form_page(
        request,
        client,
        None,
        lambda data, form: services.contact_create(client=client, by=user, **form.contact_fields()),
        _("The contact is saved."),
    )


@require_http_methods(["GET", "POST"])
@page_view
def contact_edit(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    user = request.user
    client = selectors.client_get_for_user(user=user, pk=pk)
    contact = selectors.contact_get_for_user(user=user, client=client, pk=contact_pk)
    policy.require_client_action(user, "edit")
    return _contact_form_page(
        request,
        client,
        contact,
        lambda data, form: services.contact_update(
            contact=contact, by=user, expected_version=data["version"], **form.contact_fields()
        ),
        _("The contact is saved."),
    )


# --- postal code → place ----------------------------------------------------------------------


@require_GET
@page_view
def postal_code_place(request: HttpRequest) -> HttpResponse:
    """What a typed postal code says, for the intake and client forms: the place under the
    field, and the prefecture and municipality inputs replaced with the code's (htmx swaps
    them out of band). The service checks the same again when the form is saved."""
    code = format_postal_code(request.GET.get("postal_code", ""))
    place = place_of(code) if code else None
    known = (
        {name: value for name in ("prefecture", "municipality") if (value := getattr(place, name))}
        if place
        else {}
    )
    fields = ClientFieldsForm(initial=known)
    # A code shared by several municipalities leaves the one it cannot tell as it was typed.
    swapped = [fields[name].as_widget(attrs={"hx-swap-oob": "true"}) for name in known]
    context = {"code": code, "place": place, "swapped": swapped}
    return render(request, "intake/_postal_code_place.html", context)
