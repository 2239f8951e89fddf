"""Files attached to a case, one of its sessions or one of its dispatches' visit reports
(docs/security.md, "Attachments").

The row holds what the screens show and what the download needs; the bytes live in the
attachment store (`CASEBOOK_ATTACHMENTS_DIR`), outside the web root, under a random name, and
are read only by the download view after the policy said yes.

A visit's file (`visit`) belongs to the visit's case as well (the APPI export and the retention
run find it by its case), but who sees it and who adds it follow the dispatch policy, through
the attachment host the experts app registers (`casebook/common/extensions.py`): the program
desk and the expert see a restricted case's dispatch without seeing the case.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from casebook.common.models import optional_fk


class Attachment(models.Model):
    case = models.ForeignKey(
        "intake.Case", on_delete=models.PROTECT, related_name="attachments", verbose_name=_("case")
    )
    session = optional_fk(
        "intake.ConsultationSession", related_name="attachments", verbose_name=_("session")
    )
    # A visit that is unscheduled keeps no files of its own: they stay with the case.
    visit = optional_fk(
        "experts.DispatchVisit",
        on_delete=models.SET_NULL,
        related_name="attachments",
        verbose_name=_("dispatch visit"),
    )
    name = models.CharField(_("file name"), max_length=150)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64, editable=False)
    stored_name = models.CharField(max_length=100, unique=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        indexes = [
            # The case page's list and timeline: a case's files, newest first.
            models.Index(fields=["case", "-uploaded_at", "-id"], name="attachment_case_newest"),
            # The visit report page's list: a visit's files, newest first.
            models.Index(
                fields=["visit", "-uploaded_at", "-id"],
                condition=models.Q(visit__isnull=False),
                name="attachment_visit_newest",
            ),
        ]

    def __str__(self) -> str:
        return self.name
