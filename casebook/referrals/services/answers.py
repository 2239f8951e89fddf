"""Answers to a referral: the receiving desk accepts or declines; a partner acknowledges and
reports the outcome (recorded by whoever may refer the case).

Each one reads the same way: `locked_for` (the row lock, the role, the state, the version the
caller read), its own checks, `record` (one history row), its consequences, the event after
the commit.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casebook.accounts.models import User
from casebook.common.calendar import add_business_days
from casebook.common.errors import field_error
from casebook.intake import services as case_services
from casebook.intake.models import CaseStatus, ClosureReason
from casebook.referrals.models import Referral, ReferralStatus
from casebook.referrals.services.common import (
    clean_text,
    locked_for,
    outcome_business_days,
    publish,
    record,
    share_source,
)

RS = ReferralStatus


def _required_text(field: str, value: str, message: str) -> str:
    value = clean_text(value)
    if not value:
        raise field_error(field, message, "required")
    return value


@transaction.atomic
def referral_accept(
    *,
    referral: Referral,
    by: User,
    lead_counselor: User | None = None,
    expected_version: int | None = None,
) -> Referral:
    """The receiving desk takes the case on; optionally names its lead counselor at once."""
    referral = locked_for(referral, by=by, action="accept", expected_version=expected_version)
    record(
        referral,
        by=by,
        reason="accept",
        status=RS.ACCEPTED,
        responded_by=by,
        responded_at=timezone.now(),
    )
    case = referral.created_case
    if lead_counselor is not None and case is not None and case.status == CaseStatus.INTAKE:
        referral.created_case = case_services.case_assign(
            case=case, counselor=lead_counselor, by=by, reason=_("accepted referral")
        )
    publish(referral, "referral_accepted")
    return referral


@transaction.atomic
def referral_decline(
    *, referral: Referral, by: User, reason: str, expected_version: int | None = None
) -> Referral:
    """Decline with a reason: the share of the referring file ends, and the case opened for
    the referral leaves the queue (closed as out of scope)."""
    referral = locked_for(referral, by=by, action="decline", expected_version=expected_version)
    reason = _required_text("reason", reason, _("say why the referral is declined"))
    record(
        referral,
        by=by,
        reason=reason,
        status=RS.DECLINED,
        decline_reason=reason,
        responded_by=by,
        responded_at=timezone.now(),
    )
    # A declined referral shares nothing any more (docs/rules.md, "Visibility").
    case_services.case_share_revoke(source=share_source(referral))
    case = referral.created_case
    if case is not None and not referral.attached_to_existing and case.is_open:
        referral.created_case = case_services.case_close(
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
    referral = locked_for(referral, by=by, action="acknowledge", expected_version=expected_version)
    if due_on is not None and due_on < timezone.localdate():
        raise field_error("due_on", _("the due date cannot be in the past"), "past")
    now = timezone.now()
    record(
        referral,
        by=by,
        reason="acknowledge",
        status=RS.ACKNOWLEDGED,
        acknowledged_at=now,
        partner_contact=clean_text(partner_contact) or referral.partner_contact,
        due_on=due_on or add_business_days(timezone.localdate(now), outcome_business_days()),
    )
    publish(referral, "referral_acknowledged")
    return referral


@transaction.atomic
def referral_report_outcome(
    *, referral: Referral, by: User, outcome: str, expected_version: int | None = None
) -> Referral:
    """What came of an external referral; nothing is due after it."""
    referral = locked_for(
        referral, by=by, action="report_outcome", expected_version=expected_version
    )
    outcome = _required_text("outcome", outcome, _("write what came of the referral"))
    now = timezone.now()
    record(
        referral,
        by=by,
        reason=outcome,
        status=RS.OUTCOME_REPORTED,
        outcome=outcome,
        outcome_reported_at=now,
        acknowledged_at=referral.acknowledged_at or now,
        due_on=None,
    )
    publish(referral, "referral_outcome_reported")
    return referral
