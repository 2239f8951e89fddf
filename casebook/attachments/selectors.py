"""Reads of attachments, filtered by `casebook.attachments.policy`; the getter raises 404."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.http import Http404

from casebook.attachments import policy
from casebook.attachments.models import Attachment
from casebook.common.extensions import read_once
from casebook.common.prepared import PreparedRead

if TYPE_CHECKING:
    from collections.abc import Sequence

    from casebook.accounts.models import User
    from casebook.common.extensions import AttachmentHost
    from casebook.intake.models import Case, ConsultationSession

# The case page lists this many files (newest first); the timeline shows the same ones.
CASE_PAGE_FILES = 50


def attachment_list_for_user(*, user: User) -> QuerySet[Attachment]:
    return Attachment.objects.filter(policy.visible_attachments_q(user)).select_related(
        "case__desk", "uploaded_by", "session"
    )


def attachment_get_for_user(*, user: User, pk: Any) -> Attachment:
    """The attachment if `user` may see its case or its host object (a visit), else 404 (the
    one attachment getter)."""
    try:
        return attachment_list_for_user(user=user).get(pk=pk)
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise Http404("no such attachment") from None


def attachments_of_case(*, user: User, case: Case) -> list[Attachment]:
    """The newest files of a case `user` sees, read once per case object: the panel and the
    timeline of one page share them."""

    def read() -> list[Attachment]:
        if not _sees(user, case):
            return []
        return _newest_of_case(case.pk)

    return read_once(case, "_attachments_seen_by", user, read)


def newest_of_case(case_id: int) -> QuerySet[Attachment]:
    """The newest `CASE_PAGE_FILES` files of a case, with who uploaded them and their session
    or visit (the caller has asked `_sees`)."""
    return (
        Attachment.objects.filter(case_id=case_id)
        .select_related("uploaded_by", "session", "visit")
        .order_by("-uploaded_at", "-id")[:CASE_PAGE_FILES]
    )


# Its shape depends on nothing but the database (who may read it is asked before, per
# request): compiled once, then only executed (docs/performance.md, "The case page's sessions
# drawn once per shape").
_newest_of_case = PreparedRead(Attachment, newest_of_case, args=(int,))


def attachments_of_case_newest(*, case: Case) -> QuerySet[Attachment]:
    """Every file of a case the caller fetched through the case getter (so `user` sees it),
    its sessions' and visits' included, newest first; the caller pages it."""
    return (
        Attachment.objects.filter(case=case)
        .select_related("uploaded_by")
        .order_by("-uploaded_at", "-id")
    )


def attachments_of_session_newest(*, session: ConsultationSession) -> QuerySet[Attachment]:
    """The files of a session the caller fetched through the session getter, newest first."""
    return (
        Attachment.objects.filter(session=session)
        .select_related("uploaded_by")
        .order_by("-uploaded_at", "-id")
    )


def attachments_of_host(*, host: AttachmentHost, obj: Any) -> QuerySet[Attachment]:
    """The files of `obj`, an object the caller fetched through `host.get` (so `user` sees
    it), newest first: index-served (`attachment_visit_newest`); the caller pages it."""
    return (
        Attachment.objects.filter(**{host.key: obj})
        .select_related("uploaded_by")
        .order_by("-uploaded_at", "-id")
    )


def attachments_of_hosts(*, host: AttachmentHost, objs: Sequence[Any]) -> dict[Any, list]:
    """{pk: its files, newest first} for objects the caller fetched through their app's
    policy (each row of a table of visits), in one query whatever their number."""
    found: dict[Any, list[Attachment]] = {}
    pks = [obj.pk for obj in objs]
    if not pks:
        return found
    rows = (
        Attachment.objects.filter(**{f"{host.key}__in": pks})
        .only("pk", "name", "size", "uploaded_at", f"{host.key}_id")
        .order_by("-uploaded_at", "-id")
    )
    for attachment in rows:
        found.setdefault(getattr(attachment, f"{host.key}_id"), []).append(attachment)
    return found


def _sees(user: User, case: Case) -> bool:
    from casebook.intake import policy as case_policy

    return case_policy.can_see_case(user, case)
