"""An office's schedule on the web (docs/satellites.md, "Schedules"): every staff member reads
it; coordinators, managers and administrators change its rules (the rota), its extra and
cancelled days and its slot length, and generate its days. Each change goes through one
service, with the version the screen showed."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any, NamedTuple

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from casebook.common.paging import page_number, page_of
from casebook.common.web import form_action, page_view
from casebook.satellites import policy, selectors, services
from casebook.satellites.forms import (
    DayExceptionForm,
    GenerateForm,
    ScheduleRuleForm,
    SlotMinutesForm,
    VersionForm,
)
from casebook.satellites.models import Office


def _office(request: HttpRequest, code: str, *, manage: bool) -> Office:
    office = selectors.satellite_office_get(user=request.user, code=code)
    if manage:
        policy.require(request.user, policy.MANAGE_SCHEDULE)
    return office


def schedule_url(office: Office) -> str:
    return reverse("satellites:schedule", args=[office.code])


@page_view
@require_http_methods(["GET"])
def screen(request: HttpRequest, code: str) -> HttpResponse:
    office = _office(request, code, manage=False)
    today = timezone.localdate()
    may_manage = policy.can_manage_schedule(request.user)
    exceptions = page_of(
        selectors.day_exceptions_of(user=request.user, office=office, since=today),
        number=page_number(request.GET),
    )
    return render(
        request,
        "satellites/schedule.html",
        {
            "office": office,
            "rules": selectors.schedule_rules_of(user=request.user, office=office),
            "exceptions": exceptions,
            "may_manage": may_manage,
            "slot_form": SlotMinutesForm(
                initial={"version": office.version, "slot_minutes": office.slot_minutes}
            ),
            "generate_form": GenerateForm(
                initial={"date_from": today, "date_to": today + dt.timedelta(days=90)}
            ),
        },
    )


def _rule_form_page(request: HttpRequest, office: Office, rule: Any):
    def render_form(form: ScheduleRuleForm, status: int) -> HttpResponse:
        return render(
            request,
            "satellites/schedule_rule.html",
            {"office": office, "rule": rule, "form": form},
            status=status,
        )

    return render_form


@page_view
@require_http_methods(["GET", "POST"])
def rule_new(request: HttpRequest, code: str) -> HttpResponse:
    office = _office(request, code, manage=True)
    form = ScheduleRuleForm(
        request.POST or None,
        counselors=selectors.rota_counselors(),
        initial={"valid_from": timezone.localdate(), "starts_at": "10:00", "ends_at": "16:00"},
    )
    return form_action(
        request,
        form=form,
        perform=lambda data: services.schedule_rule_save(
            by=request.user, office=office, **form.rule_fields()
        ),
        done=_("The rule is added. Generate the days to apply it."),
        success_url=schedule_url(office),
        render_form=_rule_form_page(request, office, None),
    )


@page_view
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """Change a rule, or remove it ("delete" in the post); its days already generated stay."""
    office = _office(request, code, manage=True)
    rule = selectors.schedule_rule_get_for_user(user=request.user, office=office, pk=pk)
    if request.method == "POST" and "delete" in request.POST:
        return schedule_action(
            request,
            office,
            form=VersionForm(request.POST),
            perform=lambda data: services.schedule_rule_delete(
                by=request.user, rule=rule, expected_version=data["version"]
            ),
            done=_("The rule is removed; the days it generated stay."),
        )
    form = ScheduleRuleForm(
        request.POST or None, counselors=selectors.rota_counselors(), initial=_rule_initial(rule)
    )
    return form_action(
        request,
        form=form,
        perform=lambda data: services.schedule_rule_save(
            by=request.user,
            office=office,
            rule=rule,
            expected_version=data["version"],
            **form.rule_fields(),
        ),
        done=_("The rule is saved. Generate the days to apply it."),
        success_url=schedule_url(office),
        render_form=_rule_form_page(request, office, rule),
    )


def _rule_initial(rule: Any) -> dict[str, Any]:
    return {
        "version": rule.version,
        "weekdays": [str(n) for n in sorted(rule.weekday_set)],
        "weeks": [str(n) for n in sorted(rule.week_set)],
        "starts_at": rule.starts_at,
        "ends_at": rule.ends_at,
        "counselor": rule.counselor_id,
        "valid_from": rule.valid_from,
        "valid_until": rule.valid_until,
        "note": rule.note,
    }


@page_view
@require_http_methods(["GET", "POST"])
def exception_new(request: HttpRequest, code: str) -> HttpResponse:
    office = _office(request, code, manage=True)
    form = DayExceptionForm(request.POST or None, counselors=selectors.rota_counselors())
    return form_action(
        request,
        form=form,
        perform=lambda data: services.day_exception_save(by=request.user, office=office, **data),
        done=_("The day is saved. Generate the days to apply it."),
        success_url=schedule_url(office),
        render_form=lambda form, status: render(
            request,
            "satellites/schedule_day.html",
            {"office": office, "form": form},
            status=status,
        ),
    )


class ScheduleChange(NamedTuple):
    """A change posted from the schedule screen: its form, the one service call, the message."""

    form: Any
    perform: Callable[[dict[str, Any]], Any]
    done: Any


def posted_on_schedule(
    body: Callable[..., ScheduleChange],
) -> Callable[..., HttpResponse]:
    """A form the schedule screen posts, by whoever manages the office's schedule:
    `body(request, office, **kwargs)` names the change, `schedule_action` makes it."""

    @page_view
    @require_http_methods(["POST"])
    @functools.wraps(body)
    def view(request: HttpRequest, code: str, **kwargs: Any) -> HttpResponse:
        office = _office(request, code, manage=True)
        form, perform, done = body(request, office, **kwargs)
        return schedule_action(request, office, form=form, perform=perform, done=done)

    return view


@posted_on_schedule
def exception_delete(request: HttpRequest, office: Office, pk: int) -> ScheduleChange:
    exception = selectors.day_exception_get_for_user(user=request.user, office=office, pk=pk)
    return ScheduleChange(
        form=VersionForm(request.POST),
        perform=lambda data: services.day_exception_delete(
            by=request.user, exception=exception, expected_version=data["version"]
        ),
        done=_("The extra or cancelled day is removed."),
    )


@posted_on_schedule
def slot_minutes(request: HttpRequest, office: Office) -> ScheduleChange:
    return ScheduleChange(
        form=SlotMinutesForm(request.POST),
        perform=lambda data: services.office_slot_minutes_set(
            by=request.user,
            office=office,
            expected_version=data["version"],
            slot_minutes=data["slot_minutes"],
        ),
        done=_("The slot length is saved; days generated from now on use it."),
    )


@posted_on_schedule
def generate(request: HttpRequest, office: Office) -> ScheduleChange:
    return ScheduleChange(
        form=GenerateForm(request.POST),
        perform=lambda data: services.schedule_generate_for_office(
            by=request.user, office=office, **data
        ),
        done=lambda result: (
            _(
                "%(days)s days and %(slots)s slots created, %(kept)s days already there, "
                "%(holidays)s holidays and %(closed)s closed days skipped."
            )
            % {
                "days": result.days_created,
                "slots": result.slots_created,
                "kept": result.days_kept,
                "holidays": result.skipped_holidays,
                "closed": result.skipped_closed,
            }
        ),
    )


def schedule_action(
    request: HttpRequest, office: Office, *, form: Any, perform: Any, done: Any
) -> HttpResponse:
    """A form posted from the schedule screen (`form_action`): back to the screen when done,
    `_refused` when not."""
    return form_action(
        request,
        form=form,
        perform=perform,
        done=done,
        success_url=schedule_url(office),
        render_form=lambda form, status: _refused(request, office, form, status),
    )


def _refused(request: HttpRequest, office: Office, form: Any, status: int) -> HttpResponse:
    """A refused post of a form that lives on the schedule screen: the errors, a way back."""
    return render(
        request,
        "satellites/schedule_refused.html",
        {"office": office, "form": form},
        status=status,
    )
