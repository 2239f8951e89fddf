"""The hand-off checklist (overdue referrals are reminders: reminders.py)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from casebook.accounts.models import User
from casebook.common.models import raise_if_errors
from casebook.intake.events import publish_case_event
from casebook.referrals.models import CHECKLIST_FIELDS, Referral
from casebook.referrals.services.common import (
    Errors,
    locked_for,
    record,
    validate_checklist,
)


@transaction.atomic
def referral_update_checklist(
    *, referral: Referral, by: User, expected_version: int | None, **changes: Any
) -> Referral:
    """Tick off the hand-off checklist as it happens (consent, documents, referrer informed)."""
    unknown = set(changes) - set(CHECKLIST_FIELDS)
    if unknown:
        raise ValueError(f"not checklist fields: {sorted(unknown)}")
    referral = locked_for(referral, by=by, action="checklist", expected_version=expected_version)
    values = {
        name: value.strip() if isinstance(value, str) else value
        for name, value in changes.items()
        if name != "original_referrer_informed"
    }
    merged = referral.checklist_values() | values
    if merged["consent_obtained"] and merged["consent_obtained_on"] is None:
        values["consent_obtained_on"] = timezone.localdate()
    if "original_referrer_informed" in changes:
        informed = bool(changes["original_referrer_informed"])
        already = referral.original_referrer_informed_at
        values["original_referrer_informed_at"] = (already or timezone.now()) if informed else None
    merged |= values
    errors: Errors = {}
    validate_checklist(
        errors,
        required=referral.checklist_required,
        consent_obtained=merged["consent_obtained"],
        consent_obtained_on=merged["consent_obtained_on"],
        documents_passed=merged["documents_passed"],
        informs_original_referrer=merged["informs_original_referrer"],
        original_referrer=merged["original_referrer"],
    )
    raise_if_errors(errors)
    record(referral, by=by, reason="checklist", **values)
    # The checklist is the referring desk's: only its case page hears of it.
    publish_case_event(referral.from_case, "referral_updated")
    return referral
