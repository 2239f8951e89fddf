"""Answers to a referral: the receiving desk accepts or declines; a partner acknowledges and
reports the outcome."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casebook.accounts.models import User
from casebook.common.calendar import add_business_days
from casebook.common.errors import (
    ActionNotPermitted,
)
from casebook.common.models import ensure_version, save_tracked
from casebook.intake import services as case_services
from casebook.intake.models import CaseStatus, ClosureReason
from casebook.referrals.models import (
    Referral,
    ReferralStatus,
)
from casebook.referrals.services.common import (
    can_record_partner_reply,
    clean_text,
    ensure_status,
    local_today,
    lock_referral,
    outcome_business_days,
    publish,
    require_answer,
    share_source,
)


@transaction.atomic
def referral_accept(
    *,
    referral: Referral,
    by: User,
    lead_counselor: User | None = None,
    expected_version: int | None = None,
) -> Referral:
    """The receiving desk takes the case on; optionally names its lead counselor at once."""
    referral = lock_referral(referral)
    require_answer(by, referral)
    ensure_status(referral, "accept", {ReferralStatus.PENDING})
    ensure_version(referral, expected_version)
    referral.status = ReferralStatus.ACCEPTED
    referral.responded_by = by
    referral.responded_at = timezone.now()
    save_tracked(
        referral, by=by, update_fields=["status", "responded_by", "responded_at"], reason="accept"
    )
    case = referral.created_case
    if lead_counselor is not None and case is not None and case.status == CaseStatus.INTAKE:
        case_services.case_assign(
            case=case, counselor=lead_counselor, by=by, reason=_("accepted referral")
        )
    publish(referral, "referral_accepted")
    return referral


@transaction.atomic
def referral_decline(
    *, referral: Referral, by: User, reason: str, expected_version: int | None = None
) -> Referral:
    """Decline with a reason; the case opened for the referral leaves the queue (closed)."""
    referral = lock_referral(referral)
    require_answer(by, referral)
    ensure_status(referral, "decline", {ReferralStatus.PENDING})
    reason = clean_text(reason)
    if not reason:
        raise ValidationError(
            {"reason": ValidationError(_("say why the referral is declined"), code="required")}
        )
    ensure_version(referral, expected_version)
    referral.status = ReferralStatus.DECLINED
    referral.decline_reason = reason
    referral.responded_by = by
    referral.responded_at = timezone.now()
    save_tracked(
        referral,
        by=by,
        update_fields=["status", "decline_reason", "responded_by", "responded_at"],
        reason=reason,
    )
    # A declined referral shares nothing any more (docs/rules.md, "Visibility").
    case_services.case_share_revoke(source=share_source(referral))
    case = referral.created_case
    if case is not None and not referral.attached_to_existing and case.is_open:
        case_services.case_close(
            case=case,
            by=by,
            reason=ClosureReason.OUT_OF_SCOPE,
            summary=_("Referral declined: %s") % reason,
        )
    publish(referral, "referral_declined")
    return referral


@transaction.atomic
def referral_acknowledge(
    *,
    referral: Referral,
    by: User,
    partner_contact: str = "",
    due_on: dt.date | None = None,
    expected_version: int | None = None,
) -> Referral:
    """The partner confirmed it has the client; the outcome becomes the next follow-up."""
    referral = lock_referral(referral)
    if not can_record_partner_reply(by, referral):
        raise ActionNotPermitted(_("only those who may refer the case record a partner's reply"))
    ensure_status(referral, "acknowledge", {ReferralStatus.SENT})
    if due_on is not None and due_on < local_today():
        raise ValidationError(
            {"due_on": ValidationError(_("the due date cannot be in the past"), code="past")}
        )
    ensure_version(referral, expected_version)
    now = timezone.now()
    referral.status = ReferralStatus.ACKNOWLEDGED
    referral.acknowledged_at = now
    referral.partner_contact = clean_text(partner_contact) or referral.partner_contact
    referral.due_on = due_on or add_business_days(timezone.localdate(now), outcome_business_days())
    save_tracked(
        referral,
        by=by,
        update_fields=["status", "acknowledged_at", "partner_contact", "due_on"],
        reason="acknowledge",
    )
    publish(referral, "referral_acknowledged")
    return referral


@transaction.atomic
def referral_report_outcome(
    *, referral: Referral, by: User, outcome: str, expected_version: int | None = None
) -> Referral:
    referral = lock_referral(referral)
    if not can_record_partner_reply(by, referral):
        raise ActionNotPermitted(_("only those who may refer the case record a partner's reply"))
    # A partner may report the outcome without a separate acknowledgement first.
    ensure_status(referral, "report-outcome", {ReferralStatus.SENT, ReferralStatus.ACKNOWLEDGED})
    outcome = clean_text(outcome)
    if not outcome:
        raise ValidationError(
            {"outcome": ValidationError(_("write what came of the referral"), code="required")}
        )
    ensure_version(referral, expected_version)
    now = timezone.now()
    referral.status = ReferralStatus.OUTCOME_REPORTED
    referral.outcome = outcome
    referral.outcome_reported_at = now
    referral.acknowledged_at = referral.acknowledged_at or now
    referral.due_on = None
    save_tracked(
        referral,
        by=by,
        update_fields=["status", "outcome", "outcome_reported_at", "acknowledged_at", "due_on"],
        reason=outcome,
    )
    publish(referral, "referral_outcome_reported")
    return referral
