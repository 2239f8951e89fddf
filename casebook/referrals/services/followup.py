"""The hand-off checklist and the close blocker (overdue referrals: reminders.py)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casebook.accounts.models import User
from casebook.common.errors import (
    ActionNotPermitted,
)
from casebook.common.models import ensure_version, raise_if_errors, save_tracked
from casebook.intake import policy
from casebook.intake.events import publish_case_event
from casebook.intake.models import Case
from casebook.referrals.models import (
    Referral,
    ReferralKind,
    ReferralStatus,
)
from casebook.referrals.services.common import (
    checklist_required,
    local_today,
    lock_referral,
    validate_checklist,
)

CHECKLIST_FIELDS = (
    "consent_obtained",
    "consent_obtained_on",
    "documents_passed",
    "original_referrer",
    "informs_original_referrer",
    "original_referrer_informed",
)


@transaction.atomic
def referral_update_checklist(
    *, referral: Referral, by: User, expected_version: int | None, **changes: Any
) -> Referral:
    """Tick off the hand-off checklist as it happens (consent, documents, referrer informed)."""
    unknown = set(changes) - set(CHECKLIST_FIELDS)
    if unknown:
        raise ValueError(f"not checklist fields: {sorted(unknown)}")
    referral = lock_referral(referral)
    if not policy.can(by, policy.Action.REFER, referral.from_case):
        raise ActionNotPermitted(_("only those who may refer the case keep its hand-off checklist"))
    ensure_version(referral, expected_version)
    fields: list[str] = []
    for name in CHECKLIST_FIELDS[:-1]:
        if name in changes:
            value = changes[name]
            if isinstance(value, str):
                value = value.strip()
            setattr(referral, name, value)
            fields.append(name)
    if referral.consent_obtained and referral.consent_obtained_on is None:
        referral.consent_obtained_on = local_today()
        fields.append("consent_obtained_on")
    if "original_referrer_informed" in changes:
        informed = bool(changes["original_referrer_informed"])
        if informed and referral.original_referrer_informed_at is None:
            referral.original_referrer_informed_at = timezone.now()
        elif not informed:
            referral.original_referrer_informed_at = None
        fields.append("original_referrer_informed_at")
    errors: dict[str, list[ValidationError]] = {}
    validate_checklist(
        errors,
        required=checklist_required(from_case=referral.from_case, to_partner=referral.to_partner),
        consent_obtained=referral.consent_obtained,
        documents_passed=referral.documents_passed,
        informs_original_referrer=referral.informs_original_referrer,
        original_referrer=referral.original_referrer,
    )
    if referral.consent_obtained_on and referral.consent_obtained_on > local_today():
        errors.setdefault("consent_obtained_on", []).append(
            ValidationError(_("the consent date cannot be in the future"), code="future")
        )
    raise_if_errors(errors)
    save_tracked(referral, by=by, update_fields=sorted(set(fields)), reason="checklist")
    publish_case_event(referral.from_case, "referral_updated")
    return referral


def referral_close_blocker(case: Case) -> str | None:
    """Registered with the case lifecycle: open internal referrals keep a case from closing."""
    outgoing = (
        Referral.objects.filter(
            from_case=case, kind=ReferralKind.INTERNAL, status=ReferralStatus.PENDING
        )
        .select_related("to_desk")
        .first()
    )
    if outgoing is not None:
        return _("the referral to %(desk)s (#%(id)s) is still awaiting an answer") % {
            "desk": outgoing.to_desk,
            "id": outgoing.pk,
        }
    incoming = (
        Referral.objects.filter(
            created_case=case, kind=ReferralKind.INTERNAL, status=ReferralStatus.PENDING
        )
        .select_related("from_case__desk")
        .first()
    )
    if incoming is not None:
        return _("accept or decline the referral from %(desk)s (#%(id)s) first") % {
            "desk": incoming.from_case.desk,
            "id": incoming.pk,
        }
    return None
