"""Who may see and add a case's attachments (docs/security.md, "Attachments"), built on the
case policy (`casebook/intake/policy.py`): a file is as secret as its case.

- seeing: whoever may see the case sees its files (and its sessions' files);
- adding: whoever may log sessions on the case or edit it, while it is not closed;
- logging: every download of a file of a confidential or restricted case is written to the
  access log, whoever reads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from casebook.common.errors import ActionNotPermitted
from casebook.intake import policy as case_policy
from casebook.intake.models import CaseStatus, Confidentiality

if TYPE_CHECKING:
    from casebook.accounts.models import User
    from casebook.intake.models import Case

RULES = {
    "attach": _(
        "only the case's counselors, a coordinator of the desk or a manager attach files, "
        "and not to a closed case"
    ),
}
LOGGED_LEVELS = frozenset({Confidentiality.CONFIDENTIAL, Confidentiality.RESTRICTED})


def visible_attachments_q(user: User) -> Q:
    """A filter on Attachment: the files of the cases `user` may see."""
    return Q(case__in=case_policy.cases_visible_to(user).values("pk"))


def can_attach(user: User, case: Case) -> bool:
    """Assumes the caller checked that `user` sees `case`."""
    if case.status == CaseStatus.CLOSED:
        return False
    allowed = case_policy.allowed_actions(user, case)
    return bool(allowed & {case_policy.Action.LOG_SESSION, case_policy.Action.EDIT})


def offered_on_case(user: User, case: Case) -> frozenset[str]:
    """What the case page's attachment panel offers: `attach`."""
    return frozenset({"attach"}) if can_attach(user, case) else frozenset()


def require_attach(user: User, case: Case) -> None:
    if not can_attach(user, case):
        raise ActionNotPermitted(str(RULES["attach"]))


def download_is_logged(case: Case) -> bool:
    return case.confidentiality in LOGGED_LEVELS
