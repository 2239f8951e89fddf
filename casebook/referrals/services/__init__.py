"""Every write to referrals and partners goes through these functions (docs/rules.md, "Referrals").

Sharing rule (decided here, enforced in `casebook.intake.policy`): the receiving desk always
sees the hand-off note and the referring case's summary. It sees the referring case's full
file only when the referrer ticks `share_full_file`, and only while that case is `normal`:
a `confidential` case (an unpublished invention: its novelty must not leak) and a
`restricted` case (the exit track) are never shared by a referral, so the box is refused
for them, and a share lapses by itself if the case later becomes confidential or restricted.
"""

from casebook.referrals.services.answers import (
    referral_accept,
    referral_acknowledge,
    referral_decline,
    referral_report_outcome,
)
from casebook.referrals.services.common import (
    ACCEPT_RULE,
    CHECKLIST_PARTNER_KINDS,
    LOOP_WINDOW,
    accept_business_days,
    acknowledge_business_days,
    can_answer,
    can_record_partner_reply,
    checklist_required,
    existing_open_case,
    lock_referral,
    loop_referral,
    outcome_business_days,
)
from casebook.referrals.services.create import referral_create
from casebook.referrals.services.followup import (
    CHECKLIST_FIELDS,
    referral_close_blocker,
    referral_update_checklist,
)
from casebook.referrals.services.partners import PARTNER_FIELDS, partner_create, partner_update

__all__ = [
    "ACCEPT_RULE",
    "CHECKLIST_FIELDS",
    "CHECKLIST_PARTNER_KINDS",
    "LOOP_WINDOW",
    "PARTNER_FIELDS",
    "accept_business_days",
    "acknowledge_business_days",
    "can_answer",
    "can_record_partner_reply",
    "checklist_required",
    "existing_open_case",
    "lock_referral",
    "loop_referral",
    "outcome_business_days",
    "partner_create",
    "partner_update",
    "referral_accept",
    "referral_acknowledge",
    "referral_close_blocker",
    "referral_create",
    "referral_decline",
    "referral_report_outcome",
    "referral_update_checklist",
]
