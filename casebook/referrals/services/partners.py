"""The partner registry (reference data kept by managers and administrators)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from casebook.accounts.models import User
from casebook.common.models import save_tracked
from casebook.referrals import policy
from casebook.referrals.models import PARTNER_FIELDS, Partner


@transaction.atomic
def partner_create(*, by: User, **fields: Any) -> Partner:
    """Add an organisation to the registry (the demo's and an import's path; administrators
    also edit it in the admin)."""
    policy.require_partner_editor(by)
    unknown = set(fields) - set(PARTNER_FIELDS)
    if unknown:
        raise ValueError(f"not partner fields: {sorted(unknown)}")
    partner = Partner(**{k: v.strip() if isinstance(v, str) else v for k, v in fields.items()})
    save_tracked(partner, by=by)
    return partner
