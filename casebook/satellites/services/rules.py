"""Editing an office's schedule: its rules (the rota), its extra and cancelled days and its
slot length (docs/satellites.md, "Schedules"). Coordinators, managers and administrators
only; each change names the version the screen showed (412/409 when it is stale) and is
refused field by field with nothing saved. Days already generated stay as they are; the
screen's "generate" runs `schedule_generate` for the office.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from casebook.accounts.models import User
from casebook.common.models import (
    delete_tracked,
    ensure_version,
    lock_current,
    lock_row,
    raise_if_errors,
    save_tracked,
)
from casebook.satellites import policy
from casebook.satellites.models import DayException, ExceptionKind, Office, ScheduleRule
from casebook.satellites.services.schedule import GenerationResult, schedule_generate

# How far one "generate" from the screen reaches (a fiscal year and a little).
GENERATE_MAX_DAYS = 400


def _numbers(text: str, low: int, high: int) -> list[int] | None:
    """The comma-separated numbers of `text` within [low, high], sorted; None when any is not."""
    parts = [p.strip() for p in text.replace("、", ",").split(",") if p.strip()]
    try:
        numbers = sorted({int(p) for p in parts})
    except ValueError:
        return None
    return numbers if all(low <= n <= high for n in numbers) else None


def _lock_office(office: Office) -> Office:
    return lock_row(Office, office.pk)


def _schedule_row_delete(
    row: ScheduleRule | DayException, *, by: User, expected_version: int | None, reason: str
) -> None:
    """Remove a rule or an extra or cancelled day; the days already generated stay."""
    policy.require(by, policy.MANAGE_SCHEDULE)
    delete_tracked(lock_current(row, expected_version, deleting=True), by=by, reason=reason)


def _hours_errors(
    starts_at: dt.time | None, ends_at: dt.time | None, errors: dict[str, list[ValidationError]]
) -> None:
    if starts_at is None:
        errors["starts_at"] = [ValidationError(_("give the starting time"), code="required")]
    if ends_at is None:
        errors["ends_at"] = [ValidationError(_("give the closing time"), code="required")]
    if starts_at and ends_at and ends_at <= starts_at:
        errors["ends_at"] = [
            ValidationError(_("the closing time is after the starting time"), code="order")
        ]


@transaction.atomic
def schedule_rule_save(
    *,
    by: User,
    office: Office,
    rule: ScheduleRule | None = None,
    expected_version: int | None = None,
    weekdays: str,
    weeks: str = "",
    starts_at: dt.time | None,
    ends_at: dt.time | None,
    counselor: User | None = None,
    valid_from: dt.date | None,
    valid_until: dt.date | None = None,
    note: str = "",
) -> ScheduleRule:
    """Add a rule to `office`'s schedule, or change `rule` (one of its rules)."""
    policy.require(by, policy.MANAGE_SCHEDULE)
    office = _lock_office(office)
    if rule is not None:
        rule = lock_row(ScheduleRule, rule.pk, office=office)
        ensure_version(rule, expected_version)
    errors: dict[str, list[ValidationError]] = {}
    days = _numbers(weekdays, 0, 6)
    if not days:
        errors["weekdays"] = [
            ValidationError(_("choose at least one weekday (0 = Monday … 6 = Sunday)"), "weekdays")
        ]
    week_numbers = _numbers(weeks, 1, 5)
    if week_numbers is None:
        errors["weeks"] = [ValidationError(_("weeks of the month are 1 … 5"), code="weeks")]
    _hours_errors(starts_at, ends_at, errors)
    if valid_from is None:
        errors["valid_from"] = [ValidationError(_("give the first day"), code="required")]
    elif valid_until is not None and valid_until < valid_from:
        errors["valid_until"] = [
            ValidationError(_("the last day is on or after the first"), code="order")
        ]
    if counselor is not None and not counselor.is_active:
        errors["counselor"] = [
            ValidationError(_("this counselor's login is disabled"), code="inactive")
        ]
    raise_if_errors(errors)
    fields: dict[str, Any] = {
        "weekdays": ",".join(str(n) for n in days or []),
        "weeks": ",".join(str(n) for n in week_numbers or []),
        "starts_at": starts_at,
        "ends_at": ends_at,
        "counselor": counselor,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "note": note.strip()[:200],
    }
    if rule is None:
        rule = ScheduleRule(office=office, **fields)
        save_tracked(rule, by=by, reason="schedule rule added")
        return rule
    for name, value in fields.items():
        setattr(rule, name, value)
    save_tracked(rule, by=by, update_fields=list(fields), reason="schedule rule changed")
    return rule


@transaction.atomic
def schedule_rule_delete(*, by: User, rule: ScheduleRule, expected_version: int | None) -> None:
    """Remove a rule; the days it generated stay (with their bookings)."""
    _schedule_row_delete(
        rule, by=by, expected_version=expected_version, reason="schedule rule removed"
    )


@transaction.atomic
def day_exception_save(
    *,
    by: User,
    office: Office,
    date: dt.date | None,
    kind: str,
    starts_at: dt.time | None = None,
    ends_at: dt.time | None = None,
    counselor: User | None = None,
    reason: str = "",
) -> DayException:
    """An extra day (its hours and counselor) or a cancelled day at `office`."""
    policy.require(by, policy.MANAGE_SCHEDULE)
    office = _lock_office(office)
    errors: dict[str, list[ValidationError]] = {}
    if date is None:
        errors["date"] = [ValidationError(_("give the date"), code="required")]
    elif DayException.objects.filter(office=office, date=date).exists():
        errors["date"] = [
            ValidationError(
                _("this date already has an extra or cancelled day; remove that one first"),
                code="unique",
            )
        ]
    if kind not in ExceptionKind.values:
        errors["kind"] = [ValidationError(_("choose extra or cancelled"), code="invalid_choice")]
    if kind == ExceptionKind.EXTRA:
        _hours_errors(starts_at, ends_at, errors)
    raise_if_errors(errors)
    extra = kind == ExceptionKind.EXTRA
    exception = DayException(
        office=office,
        date=date,
        kind=kind,
        starts_at=starts_at if extra else None,
        ends_at=ends_at if extra else None,
        counselor=counselor if extra else None,
        reason=reason.strip()[:200],
    )
    save_tracked(exception, by=by, reason="day exception added")
    return exception


@transaction.atomic
def day_exception_delete(
    *, by: User, exception: DayException, expected_version: int | None
) -> None:
    _schedule_row_delete(
        exception, by=by, expected_version=expected_version, reason="day exception removed"
    )


@transaction.atomic
def office_slot_minutes_set(
    *, by: User, office: Office, expected_version: int | None, slot_minutes: int | None
) -> Office:
    """The slot length of days generated from now on (days already cut keep their slots)."""
    policy.require(by, policy.MANAGE_SCHEDULE)
    office = lock_current(office, expected_version)
    if slot_minutes is None or not 10 <= slot_minutes <= 240:
        raise ValidationError(
            {"slot_minutes": ValidationError(_("a slot lasts 10 to 240 minutes"), code="range")}
        )
    office.slot_minutes = slot_minutes
    save_tracked(office, by=by, update_fields=["slot_minutes"], reason="slot length changed")
    return office


def schedule_generate_for_office(
    *, by: User, office: Office, date_from: dt.date | None, date_to: dt.date | None
) -> GenerationResult:
    """The screen's "generate": the office's days and slots between the two dates, at most
    `GENERATE_MAX_DAYS` at once (idempotent, as the command)."""
    policy.require(by, policy.MANAGE_SCHEDULE)
    _generate_range_errors(date_from, date_to)
    return schedule_generate(by=by, date_from=date_from, date_to=date_to, offices=[office])


def _generate_range_errors(date_from: dt.date | None, date_to: dt.date | None) -> None:
    errors: dict[str, list[ValidationError]] = {}
    if date_from is None:
        errors["date_from"] = [ValidationError(_("give the first day"), code="required")]
    if date_to is None:
        errors["date_to"] = [ValidationError(_("give the last day"), code="required")]
    if date_from and date_to:
        if date_to < date_from:
            errors["date_to"] = [
                ValidationError(_("the last day is on or after the first"), code="order")
            ]
        elif (date_to - date_from).days > GENERATE_MAX_DAYS:
            errors["date_to"] = [
                ValidationError(
                    _("generate at most %(days)s days at once") % {"days": GENERATE_MAX_DAYS},
                    code="too_long",
                )
            ]
    raise_if_errors(errors)
