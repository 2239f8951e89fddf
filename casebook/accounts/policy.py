"""Who reads the audit trail (docs/security.md, "Audit screens"): the security events and
the access log. DESIGN §1: managers and auditors, read-only. What each of them sees of the
cases named there stays the case policy's answer (`casebook/intake/policy.py`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from casebook.accounts.models import OrgRole
from casebook.common.errors import ActionNotPermitted

if TYPE_CHECKING:
    from casebook.accounts.models import User

RULES = {"audit": _("only managers and auditors read the audit trail")}


def reads_audit_trail(user: User) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and user.org_role in (OrgRole.MANAGER, OrgRole.AUDITOR)
    )


def require_audit_trail(user: User) -> None:
    if not reads_audit_trail(user):
        raise ActionNotPermitted(str(RULES["audit"]))
