"""Recording what a client reports at intake, closure or a follow-up (docs/reports.md,
"Outcomes"): the figures, the facts, and the value added derived from its parts."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casebook.common.models import raise_if_errors, save_tracked
from casebook.intake.events import publish_case_event
from casebook.intake.models import (
    OUTCOME_FACTS,
    OUTCOME_FIGURES,
    VALUE_ADDED_PARTS,
    BusinessStatus,
    ClientOutcome,
    OutcomeOccasion,
)
from casebook.intake.services import lock_case
from casebook.reports import policy

if TYPE_CHECKING:
    from casebook.accounts.models import User
    from casebook.intake.models import Case

# The figures that may fall below zero: a loss is an operating profit below zero.
SIGNED_FIGURES = frozenset({"operating_profit_yen"})


@transaction.atomic
def outcome_record(
    *,
    by: User,
    case: Case,
    reported_on: dt.date,
    occasion: str = OutcomeOccasion.FOLLOW_UP,
    business_status: str = "",
    note: str = "",
    **reported: int | bool | None,
) -> ClientOutcome:
    """Record one report of the case's client: all of it or nothing.

    `reported` holds the figures (`OUTCOME_FIGURES`, None when not reported) and the facts
    (`OUTCOME_FACTS`). Value added (付加価値額) is operating profit + personnel costs +
    depreciation: the three are given together or not at all, and the sum is stored.
    """
    unknown = set(reported) - set(OUTCOME_FIGURES) - set(OUTCOME_FACTS)
    if unknown:
        raise TypeError(f"unknown outcome fields: {sorted(unknown)}")
    case = lock_case(case)
    policy.require_record_outcome(by, case)
    figures = {name: reported.get(name) for name in OUTCOME_FIGURES}
    facts = {name: bool(reported.get(name)) for name in OUTCOME_FACTS}
    errors: dict[str, list[ValidationError]] = {}
    if occasion not in OutcomeOccasion.values:
        errors["occasion"] = [ValidationError(_("no such occasion"), code="invalid")]
    if business_status and business_status not in BusinessStatus.values:
        errors["business_status"] = [ValidationError(_("no such business status"), code="invalid")]
    if reported_on > timezone.localdate():
        errors["reported_on"] = [
            ValidationError(_("a report is recorded once the client made it"), code="future")
        ]
    elif reported_on < timezone.localdate(case.opened_at):
        errors["reported_on"] = [
            ValidationError(_("the case was not open yet on that day"), code="before_case")
        ]
    for name, value in figures.items():
        if value is not None and value < 0 and name not in SIGNED_FIGURES:
            errors[name] = [ValidationError(_("not below zero"), code="negative")]
    given = [name for name in VALUE_ADDED_PARTS if figures[name] is not None]
    if given and len(given) < len(VALUE_ADDED_PARTS):
        for name in VALUE_ADDED_PARTS:
            if figures[name] is None:
                errors.setdefault(name, []).append(
                    ValidationError(
                        _(
                            "value added needs operating profit, personnel costs and "
                            "depreciation together"
                        ),
                        code="value_added_part",
                    )
                )
    if not (any(v is not None for v in figures.values()) or any(facts.values()) or business_status):
        errors["__all__"] = [
            ValidationError(
                _("record at least one figure or fact the client reported"), code="empty"
            )
        ]
    raise_if_errors(errors)
    value_added = (
        sum(figures[name] for name in VALUE_ADDED_PARTS)  # type: ignore[misc]
        if len(given) == len(VALUE_ADDED_PARTS)
        else None
    )
    outcome = ClientOutcome(
        client_id=case.client_id,
        case=case,
        occasion=occasion,
        reported_on=reported_on,
        value_added_yen=value_added,
        business_status=business_status,
        note=note.strip(),
        recorded_by=by,
        **figures,
        **facts,
    )
    save_tracked(outcome, by=by)
    # The case page redraws its outcomes panel.
    publish_case_event(case, "outcome_recorded")
    return outcome
