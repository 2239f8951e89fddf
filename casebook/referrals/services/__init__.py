"""Every write to referrals and partners goes through these functions (docs/rules.md,
"Referrals"); who may do what is `casebook.referrals.policy`.

A referral shares its referring case's file with the receiving desk through intake's table
of case shares: `referral_create` grants the share when the referrer ticks `share_full_file`
(only for a normal case, see `policy.case_is_shareable`), `referral_decline` revokes it, and
the case policy stops showing a shared case as soon as it becomes confidential or restricted.
"""

from casebook.referrals.services.answers import (
    referral_accept,
    referral_acknowledge,
    referral_decline,
    referral_report_outcome,
)
from casebook.referrals.services.common import (
    lock_referral,
    referral_shares_revoke,
    share_source,
)
from casebook.referrals.services.create import referral_create
from casebook.referrals.services.followup import referral_update_checklist
from casebook.referrals.services.partners import partner_create

__all__ = [
    "lock_referral",
    "partner_create",
    "referral_accept",
    "referral_acknowledge",
    "referral_create",
    "referral_decline",
    "referral_report_outcome",
    "referral_shares_revoke",
    "referral_update_checklist",
    "share_source",
]
