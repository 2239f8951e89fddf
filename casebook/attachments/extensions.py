"""What attachments add to the case page (a panel) and its timeline (one entry per file), and
to the visit report page (a panel of the visit's files) and to the dispatch page's visits
(each row's files),
registered in `AttachmentsConfig.ready()` (docs/architecture.md, "Extension points")."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casebook.attachments import files, policy, selectors
from casebook.attachments.models import Attachment
from casebook.common.exports import record
from casebook.common.extensions import CasePanel, PersonalDataSource, RowCells, TimelineEntry

if TYPE_CHECKING:
    from casebook.accounts.models import User
    from casebook.common.extensions import Registry
    from casebook.intake.models import Case


def attachment_panel(user: User, case: Case) -> dict[str, Any] | None:
    """The case's files for whoever sees the case, and the offer to add one."""
    offered = policy.offered_on_case(user, case)
    attachments = selectors.attachments_of_case(user=user, case=case)
    if not attachments and not offered:
        return None
    return {
        "attachments": attachments,
        "attachment_actions": offered,
        "attach_url": reverse("attachments:new", args=[case.pk]),
    }


def attachment_timeline(user: User, case: Case) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            kind="attachment",
            at=attachment.uploaded_at,
            by=attachment.uploaded_by,
            obj=attachment,
            title=_("File attached: %s") % attachment.name,
            text=_owner_text(attachment),
            url=reverse("attachments:download", args=[attachment.pk]),
        )
        for attachment in selectors.attachments_of_case(user=user, case=case)
    ]


def _owner_text(attachment: Attachment) -> str:
    if attachment.session:
        return _("to the session of %s") % f"{attachment.session.started_at:%Y-%m-%d}"
    if attachment.visit:
        return _("to the report of the visit of %s") % f"{attachment.visit.date:%Y-%m-%d}"
    return ""


def visit_attachment_panel(user: User, visit: Any) -> dict[str, Any] | None:
    """The visit report page's files (the newest `CASE_PAGE_FILES`) and the offer to add one;
    the page fetched the visit through the experts policy, so `user` sees it."""
    host = policy.host("visit")
    return {
        "attachments": list(
            selectors.attachments_of_host(host=host, obj=visit)[: selectors.CASE_PAGE_FILES]
        ),
        "attachment_actions": policy.offered_on_host(user, host, visit),
        "attach_url": reverse("attachments:visit_new", args=[visit.pk]),
        "host": host.key,
    }


def visit_files(user: User, visits: Sequence[Any]) -> dict[Any, list[Attachment]]:
    """Each visit's files on the dispatch page (which fetched the dispatch, so its visits,
    through the experts policy): one query for all the rows."""
    return selectors.attachments_of_hosts(host=policy.host("visit"), objs=visits)


def register(registry: Registry) -> None:
    registry.add_case_extensions(
        personal_data=PersonalDataSource(
            key="attachments", rows=attachment_personal_data, order=50
        ),
        personal_data_eraser=attachment_erase,
        timeline=attachment_timeline,
        panel=CasePanel("attachments", "attachments/_panel.html", attachment_panel, order=40),
    )
    registry.add_object_panel(
        "visit",
        CasePanel("attachments", "attachments/_panel.html", visit_attachment_panel, order=40),
    )
    registry.add_row_cells(
        "visit",
        RowCells(
            "attachments", gettext_lazy("Attachments"), "attachments/_row_files.html", visit_files
        ),
    )


def attachment_personal_data(client: Any) -> Iterator[dict[str, Any]]:
    """The files on the client's cases (what they are, not their bytes: those are handed over
    from the store by the download), for the APPI export (docs/security.md, "APPI")."""
    for attachment in Attachment.objects.filter(case__client=client).order_by("pk"):
        yield record(attachment, exclude=("stored_name",))


def attachment_erase(client: Any) -> int:
    """The retention run (docs/security.md, "Retention"): the files on the client's cases
    are deleted, rows, history and bytes (the bytes once the deletion commits)."""
    attachments = list(Attachment.objects.filter(case__client=client))
    if not attachments:
        return 0
    names = [attachment.stored_name for attachment in attachments]
    pks = [attachment.pk for attachment in attachments]
    Attachment.history.model.objects.filter(id__in=pks).delete()
    Attachment.objects.filter(pk__in=pks).delete()
    Attachment.history.model.objects.filter(id__in=pks).delete()

    def remove_files() -> None:
        store = files.store()
        for name in names:
            store.delete(name)

    transaction.on_commit(remove_files, robust=True)
    return len(attachments)
