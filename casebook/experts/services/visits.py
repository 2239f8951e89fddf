"""Visits of a dispatch: scheduling within the approved days without double-booking the
expert, and the visit report the expert files afterwards (docs/rules.md, "Expert dispatch")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from casebook.accounts.models import User
from casebook.common.errors import ConflictError, field_error
from casebook.common.fiscal import fiscal_year_bounds
from casebook.common.models import lock_current, lock_row, raise_if_errors, save_tracked
from casebook.experts import rules
from casebook.experts.models import (
    FULL_DAY,
    HALF_DAY,
    Dispatch,
    DispatchStatus,
    DispatchVisit,
    Expert,
)
from casebook.experts.policy import DispatchAction
from casebook.experts.services.dispatches import lock_for_step
from casebook.intake.events import publish_case_event


def parse_day_fraction(value: object) -> Decimal:
    try:
        fraction = Decimal(str(value))
    except (InvalidOperation, ValueError):
        fraction = None
    if fraction not in (HALF_DAY, FULL_DAY):
        raise field_error(
            "day_fraction", _("a visit is a half day (0.5) or a full day (1.0)"), "half_or_full"
        )
    return fraction


def _parse_hours(value: object, errors: dict[str, list[ValidationError]]) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        hours = Decimal(str(value))
    except (InvalidOperation, ValueError):
        hours = None
    if hours is None or not hours.is_finite() or hours <= 0 or hours > 12:
        errors.setdefault("hours", []).append(
            ValidationError(_("hours must be more than 0 and at most 12"), code="invalid")
        )
        return None
    return hours.quantize(Decimal("0.1"))


@transaction.atomic
def visit_schedule(
    *,
    dispatch: Dispatch,
    by: User,
    date: dt.date,
    day_fraction: Decimal | str | float,
    hours: Decimal | str | float | None = None,
    place: str = "",
) -> DispatchVisit:
    """Plan (or record) a visit. The expert row is locked, so two dispatches cannot book
    the same expert beyond one day on one date."""
    dispatch = lock_for_step(dispatch, by=by, action=DispatchAction.SCHEDULE, step="schedule")
    errors: dict[str, list[ValidationError]] = {}
    try:
        fraction = parse_day_fraction(day_fraction)
    except ValidationError as error:
        errors.update(error.error_dict)
        fraction = None
    parsed_hours = _parse_hours(hours, errors)
    if not isinstance(date, dt.date):
        errors.setdefault("date", []).append(ValidationError(_("enter a date"), code="invalid"))
    else:
        first, last = fiscal_year_bounds(dispatch.program.fiscal_year)
        approved_on = timezone.localtime(dispatch.approved_at).date()
        if not first <= date <= last:
            errors.setdefault("date", []).append(
                ValidationError(
                    _("a visit falls within the program's fiscal year (%(first)s – %(last)s)")
                    % {"first": first, "last": last},
                    code="outside_fiscal_year",
                )
            )
        elif date < approved_on:
            errors.setdefault("date", []).append(
                ValidationError(
                    _("a visit cannot be dated before the approval (%(day)s)")
                    % {"day": approved_on},
                    code="before_approval",
                )
            )
        elif dispatch.visits.filter(date=date).exists():
            errors.setdefault("date", []).append(
                ValidationError(
                    _("this dispatch already has a visit on %(day)s") % {"day": date},
                    code="duplicate_date",
                )
            )
    raise_if_errors(errors)

    planned = dispatch.visits.aggregate(total=Sum("day_fraction"))["total"] or rules.ZERO
    if planned + fraction > dispatch.approved_days:
        raise ConflictError(
            _(
                "visits stay within the %(approved)s approved days: %(planned)s already planned, "
                "%(fraction)s more requested"
            )
            % {"approved": dispatch.approved_days, "planned": planned, "fraction": fraction},
            code="beyond_approved_days",
        )
    expert = lock_row(Expert, dispatch.expert_id)
    booked = (
        DispatchVisit.objects.filter(
            expert=expert, date=date, dispatch__status__in=rules.BOOKING
        ).aggregate(total=Sum("day_fraction"))["total"]
        or rules.ZERO
    )
    if booked + fraction > FULL_DAY:
        raise ConflictError(
            _(
                "an expert is never booked beyond one day on a date: %(expert)s already has "
                "%(booked)s day booked on %(day)s"
            )
            % {"expert": expert.name, "booked": booked, "day": date},
            code="expert_fully_booked",
        )
    visit = DispatchVisit(
        dispatch=dispatch,
        expert=expert,
        date=date,
        day_fraction=fraction,
        hours=parsed_hours,
        place=(place or "").strip(),
    )
    save_tracked(visit, by=by)
    if dispatch.status == DispatchStatus.APPROVED:
        dispatch.status = DispatchStatus.SCHEDULED
        save_tracked(dispatch, by=by, update_fields=["status"])
    publish_case_event(dispatch.case, "dispatch_visit_scheduled")
    return visit


@transaction.atomic
def visit_unschedule(*, visit: DispatchVisit, by: User, reason: str) -> Dispatch:
    """Remove a planned visit that has no report yet."""
    dispatch = lock_for_step(visit.dispatch, by=by, action=DispatchAction.SCHEDULE, step="schedule")
    # FOR UPDATE, not NO KEY: the visit is deleted below (the lock the DELETE takes anyway).
    visit = DispatchVisit.objects.select_for_update().get(pk=visit.pk)
    if visit.report_filed_at is not None:
        raise ConflictError(_("a visit with a filed report stays on record"), code="reported")
    if not (reason or "").strip():
        raise field_error("reason", _("say why the visit is removed"), "required")
    visit._history_user = by
    visit._change_reason = reason.strip()
    visit.delete()
    if not dispatch.visits.exists():
        dispatch.status = DispatchStatus.APPROVED
        save_tracked(dispatch, by=by, update_fields=["status"], reason=reason.strip())
    return dispatch


@transaction.atomic
def visit_file_report(
    *,
    visit: DispatchVisit,
    by: User,
    report: str,
    advice: str = "",
    client_confirmed_by: str = "",
    hours: Decimal | str | float | None = None,
    place: str | None = None,
    expected_version: int | None = None,
) -> DispatchVisit:
    """The expert's report of a visit that took place (due within 5 business days)."""
    lock_for_step(visit.dispatch, by=by, action=DispatchAction.REPORT, step="report_visit")
    visit = lock_current(visit, expected_version)
    errors: dict[str, list[ValidationError]] = {}
    if visit.date > timezone.localdate():
        errors["date"] = [
            ValidationError(_("a visit is reported after it has taken place"), code="future")
        ]
    if not (report or "").strip():
        errors["report"] = [ValidationError(_("describe what was done"), code="required")]
    parsed_hours = _parse_hours(hours, errors)
    raise_if_errors(errors)
    visit.report = report.strip()
    visit.advice = (advice or "").strip()
    visit.client_confirmed_by = (client_confirmed_by or "").strip()
    fields = ["report", "advice", "client_confirmed_by", "report_filed_at", "report_filed_by"]
    if parsed_hours is not None:
        visit.hours = parsed_hours
        fields.append("hours")
    if place is not None:
        visit.place = place.strip()
        fields.append("place")
    if visit.report_filed_at is None:
        visit.report_filed_at = timezone.now()
        visit.report_filed_by = by
    save_tracked(visit, by=by, update_fields=fields)
    return visit
