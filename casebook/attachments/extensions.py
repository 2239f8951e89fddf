"""What attachments add to the case page (a panel) and its timeline (one entry per file),
registered in `AttachmentsConfig.ready()` (docs/architecture.md, "Extension points")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils.translation import gettext as _

from casebook.attachments import policy, selectors
from casebook.common.extensions import CasePanel, TimelineEntry

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
    return {"attachments": attachments, "attachment_actions": offered}


def attachment_timeline(user: User, case: Case) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            kind="attachment",
            at=attachment.uploaded_at,
            by=attachment.uploaded_by,
            obj=attachment,
            title=_("File attached: %s") % attachment.name,
            text=(
                _("to the session of %s") % f"{attachment.session.started_at:%Y-%m-%d}"
                if attachment.session
                else ""
            ),
            url=reverse("attachments:download", args=[attachment.pk]),
        )
        for attachment in selectors.attachments_of_case(user=user, case=case)
    ]


def register(registry: Registry) -> None:
    registry.add_case_panel(
        CasePanel(
            key="attachments",
            template="attachments/_case_panel.html",
            context=attachment_panel,
            order=40,
        )
    )
    registry.add_timeline_provider(attachment_timeline)
