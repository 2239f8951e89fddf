"""The partner registry (reference data kept by managers and administrators)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from casebook.accounts.models import User
from casebook.common.errors import (
    ActionNotPermitted,
)
from casebook.common.models import save_tracked
from casebook.referrals.models import (
    Partner,
)

PARTNER_FIELDS = (
    "code",
    "name",
    "name_kana",
    "kind",
    "municipality",
    "address",
    "phone",
    "email",
    "contact_person",
    "url",
    "note",
    "active",
)


def _require_partner_admin(by: User) -> None:
    if not (by.is_manager or by.org_role == "admin" or by.is_superuser):
        raise ActionNotPermitted(_("only a manager or an administrator edits the partner registry"))


@transaction.atomic
def partner_create(*, by: User, **fields: Any) -> Partner:
    _require_partner_admin(by)
    unknown = set(fields) - set(PARTNER_FIELDS)
    if unknown:
        raise ValueError(f"not partner fields: {sorted(unknown)}")
    partner = Partner(**{k: v.strip() if isinstance(v, str) else v for k, v in fields.items()})
    save_tracked(partner, by=by)
    return partner


@transaction.atomic
def partner_update(*, partner: Partner, by: User, **fields: Any) -> Partner:
    _require_partner_admin(by)
    unknown = set(fields) - set(PARTNER_FIELDS)
    if unknown:
        raise ValueError(f"not partner fields: {sorted(unknown)}")
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    for name, value in fields.items():
        setattr(partner, name, value.strip() if isinstance(value, str) else value)
    save_tracked(partner, by=by, update_fields=list(fields))
    return partner
