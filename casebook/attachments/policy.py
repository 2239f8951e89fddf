"""Who may see and add attachments (docs/security.md, "Attachments"), built on the case policy
(`casebook/intake/policy.py`): a file is as secret as its case; and, for the files of another
app's object (a dispatch visit's report), on that app's policy through its attachment host
(`casebook/common/extensions.py`).

- seeing: whoever may see the case sees its files (and its sessions' and visits' files);
  whoever may see a host object (a visit: whoever sees its dispatch) sees that object's files,
  and nothing else of the case;
- adding: to a case or a session, whoever may log sessions on the case or edit it, while it is
  not closed; to a host object, whoever its host says (a visit: whoever files its report);
- logging: every download of a file of a confidential or restricted case is written to the
  access log, whoever reads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from casebook.common.errors import ActionNotPermitted
from casebook.common.extensions import AttachmentHost, registry
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
    """A filter on Attachment: the files of the cases `user` may see, and of the host objects
    (visits) `user` may see."""
    # The rule read on each file's own case (joined), not `case IN (every visible case)`
    # (docs/performance.md, "Lists and the visibility branches"). A manager's is empty: every
    # file has a case, so every file.
    condition = case_policy.visible_cases_q(user, prefix="case__")
    if not condition:
        return Q()
    for host in registry.attachment_hosts.values():
        condition |= Q(**{f"{host.key}__in": host.visible(user).values("pk")})
    return condition


def host(key: str) -> AttachmentHost:
    """The attachment host registered under `key` (404 for an unknown one: a URL names it)."""
    found = registry.attachment_host(key)
    if found is None:
        raise Http404("no such kind of object")
    return found


def can_attach_to(user: User, host: AttachmentHost, obj: Any) -> bool:
    """Assumes the caller fetched `obj` through the host's getter."""
    return host.can_attach(user, obj)


def offered_on_host(user: User, host: AttachmentHost, obj: Any) -> frozenset[str]:
    """What a host object's attachment panel offers: `attach`."""
    return frozenset({"attach"}) if can_attach_to(user, host, obj) else frozenset()


def require_attach_to(user: User, host: AttachmentHost, obj: Any) -> None:
    if not can_attach_to(user, host, obj):
        raise ActionNotPermitted(str(host.rule or RULES["attach"]))


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
