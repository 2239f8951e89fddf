"""The activities the plan counts: the list, one activity, recording and correcting it, and
its participating clients (docs/reports.md, "Activities")."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from casebook.common.web import form_action, new_form_token, page_view, posted
from casebook.intake import selectors as case_selectors
from casebook.intake.views.client_step import chosen_client, client_search_step
from casebook.reports import policy, selectors, services
from casebook.reports.forms import (
    ActivityForm,
    ParticipantForm,
    ParticipantRemoveForm,
)
from casebook.reports.models import Activity, ActivityKind
from casebook.reports.selectors import ReportFilters
from casebook.reports.views.common import fy_of

ACTIVITIES_PER_PAGE = 50


@require_GET
@page_view
def activity_list(request: HttpRequest) -> HttpResponse:
    """The activities of a fiscal year (newest first, paged) and their count by kind."""
    policy.require_reader(request.user)
    fiscal_year = fy_of(request)
    kind = request.GET.get("kind", "")
    if kind not in ActivityKind.values:
        kind = ""
    rows = selectors.activity_list_for_user(user=request.user, fiscal_year=fiscal_year, kind=kind)
    page = Paginator(rows, ACTIVITIES_PER_PAGE).get_page(request.GET.get("page"))
    counts = selectors.activity_counts_by_kind(user=request.user, fiscal_year=fiscal_year)
    return render(
        request,
        "reports/activities.html",
        {
            "page": page,
            "counts": counts,
            "fiscal_year": fiscal_year,
            "fiscal_year_label": ReportFilters(fiscal_year).label,
            "kind": kind,
            "kinds": ActivityKind.choices,
            "query": urlencode({"fy": fiscal_year, "kind": kind}),
            "reads_every_desk": policy.reads_every_desk(request.user),
            "offered_actions": policy.activity_offered_actions(request.user),
        },
    )


@require_GET
@page_view
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = selectors.activity_get_for_user(user=request.user, pk=pk)
    return _activity_detail_page(request, activity)


def _activity_detail_page(
    request: HttpRequest,
    activity: Activity,
    *,
    remove_form: ParticipantRemoveForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The activity with its participants; `remove_form` when taking one off was refused."""
    user = request.user
    context = {
        "activity": activity,
        "participants": selectors.activity_participants(user=user, activity=activity),
        "reads_every_desk": policy.reads_every_desk(user),
        "offered_actions": policy.activity_offered_actions(user, activity),
        "remove_form": remove_form,
    }
    return render(request, "reports/activity_detail.html", context, status=status)


ACTIVITY_FIELDS = ("kind", "desk", "title", "held_on", "place", "online", "organisers", "note")


def _editable_activity(request: HttpRequest, pk: int) -> Any:
    """The activity (404 if the reader may not read it), if they record its desk's (403)."""
    activity = selectors.activity_get_for_user(user=request.user, pk=pk)
    policy.require_activity_action(request.user, "edit", activity)
    return activity


def _activity_form_page(
    request: HttpRequest, form: ActivityForm, status: int, activity: Any = None
) -> HttpResponse:
    return render(
        request, "reports/activity_form.html", {"form": form, "activity": activity}, status=status
    )


@require_http_methods(["GET", "POST"])
@page_view
def activity_new(request: HttpRequest) -> HttpResponse:
    """Record a held activity (its participants are added on its page, or with it through the
    API)."""
    user = request.user
    policy.require_reader(user)
    policy.require_activity_action(user, "record")
    form = ActivityForm(
        posted(request),
        user=user,
        initial={"held_on": timezone.localdate(), "form_token": new_form_token()},
    )
    return form_action(
        request,
        form=form,
        perform=lambda data: services.activity_create(
            by=user, **{name: data[name] for name in ACTIVITY_FIELDS}
        ),
        done=_("The activity is recorded."),
        success_url=lambda activity: reverse("reports:activity", args=[activity.pk]),
        render_form=lambda form, status: _activity_form_page(request, form, status),
        once=True,
    )


@require_http_methods(["GET", "POST"])
@page_view
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct an activity's own fields, with the version the screen showed."""
    user = request.user
    activity = _editable_activity(request, pk)
    initial = {name: getattr(activity, name) for name in ACTIVITY_FIELDS}
    form = ActivityForm(
        posted(request),
        user=user,
        initial=initial | {"version": activity.version},
    )
    return form_action(
        request,
        form=form,
        perform=lambda data: services.activity_update(
            by=user,
            activity=activity,
            expected_version=data["version"],
            **{name: data[name] for name in ACTIVITY_FIELDS},
        ),
        done=_("The activity is saved."),
        success_url=reverse("reports:activity", args=[activity.pk]),
        render_form=lambda form, status: _activity_form_page(request, form, status, activity),
    )


@require_http_methods(["GET", "POST"])
@page_view
def activity_participant_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a participating client: search the registry as the intake does (kanji, kana,
    法人番号, phone), choose one, give its deals; with the activity's version the screen
    showed (docs/reports.md, "Activities")."""
    user = request.user
    activity = _editable_activity(request, pk)
    search = client_search_step(
        request,
        search_url=reverse("reports:activity_participant_add", args=[activity.pk]),
        pick_only=True,
    )
    if search.results:
        return search.results
    chosen_pk = (
        request.POST.get("client") if request.method == "POST" else request.GET.get("client")
    )
    chosen = chosen_client(request, chosen_pk)
    form = ParticipantForm(
        posted(request),
        initial={
            "client": chosen.pk if chosen else None,
            "deals": 0,
            "version": activity.version,
            "form_token": new_form_token(),
        },
    )

    def render_form(form: ParticipantForm, status: int) -> HttpResponse:
        return render(
            request,
            "reports/participant_form.html",
            {
                "activity": activity,
                "participants": selectors.activity_participants(user=user, activity=activity),
                "form": form,
                "q": search.q,
                "found": search.found,
                "chosen": chosen,
            },
            status=status,
        )

    return form_action(
        request,
        form=form,
        perform=lambda data: services.activity_participant_add(
            by=user,
            activity=activity,
            expected_version=data["version"],
            client=case_selectors.client_get_for_user(user=user, pk=data["client"]),
            deals=data["deals"],
            note=data["note"] or "",
        ),
        done=_("The participant is added."),
        success_url=reverse("reports:activity", args=[activity.pk]),
        render_form=render_form,
        once=True,
    )


@require_http_methods(["POST"])
@page_view
def activity_participant_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a participant off the activity, with the version the screen showed."""
    user = request.user
    activity = _editable_activity(request, pk)

    return form_action(
        request,
        form=ParticipantRemoveForm(request.POST),
        perform=lambda data: services.activity_participant_remove(
            by=user,
            activity=activity,
            expected_version=data["version"],
            participant_id=data["participant"],
        ),
        done=_("The participant is removed."),
        success_url=reverse("reports:activity", args=[activity.pk]),
        render_form=lambda form, status: _activity_detail_page(
            request, activity, remove_form=form, status=status
        ),
    )
