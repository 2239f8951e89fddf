"""Every write of attachments (docs/security.md, "Attachments"): keyword-only, atomic, the
case (or the host object) locked, the rule and the file checked, one history row, the case
page told on commit (a case's own files)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from casebook.attachments import files, policy
from casebook.attachments.models import Attachment
from casebook.intake import policy as case_policy
from casebook.intake import services as case_services
from casebook.intake.events import publish_case_event

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from casebook.accounts.models import User
    from casebook.common.extensions import AttachmentHost
    from casebook.intake.models import Case, ConsultationSession


def _checked_type(upload: UploadedFile) -> files.FileType:
    limit = settings.CASEBOOK_ATTACHMENT_MAX_BYTES
    if upload.size is None or upload.size == 0:
        raise ValidationError({"file": _("the file is empty")}, code="empty")
    if upload.size > limit:
        raise ValidationError(
            {"file": _("the file is larger than %(mb)s MB") % {"mb": limit // (1024 * 1024)}},
            code="too_large",
        )
    kind = files.sniff(upload, name=upload.name or "")
    if kind is None:
        raise ValidationError(
            {
                "file": _(
                    "this kind of file is not accepted (by its content): attach PDF, PNG, "
                    "JPEG, Word, Excel, PowerPoint (without macros), text or CSV"
                )
            },
            code="type",
        )
    return kind


@transaction.atomic
def attachment_add(
    *,
    case: Case,
    by: User,
    upload: UploadedFile,
    session: ConsultationSession | None = None,
) -> Attachment:
    """Attach `upload` to `case` (and to one of its sessions): its content decides its type."""
    case = case_services.lock_case(case)
    if not case_policy.can_see_case(by, case):
        raise ValidationError({"case": _("no such case")}, code="unknown")
    policy.require_attach(by, case)
    if session is not None and session.case_id != case.pk:
        raise ValidationError({"session": _("the session is not of this case")}, code="case")
    attachment = _stored(case=case, by=by, upload=upload, session=session)
    publish_case_event(case, "attachment_added")
    return attachment


@transaction.atomic
def attachment_add_to(
    *, host: AttachmentHost, obj: Any, by: User, upload: UploadedFile
) -> Attachment:
    """Attach `upload` to `obj`, an object of another app (a dispatch visit), under the rule of
    its host (`casebook/common/extensions.py`, "attachment hosts"): the object locked, its
    host's permission checked, the file checked as any other. Nothing is published on the
    case: who sees the object need not see the case (docs/exits.md)."""
    obj = host.lock(obj)
    policy.require_attach_to(by, host, obj)
    return _stored(case=host.case_of(obj), by=by, upload=upload, **{host.key: obj})


def _stored(*, case: Case, by: User, upload: UploadedFile, **owner: Any) -> Attachment:
    kind = _checked_type(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    store = files.store()
    stored_name = store.save(files.new_stored_name(), upload)
    try:
        attachment = Attachment.objects.create(
            case=case,
            name=files.clean_name(upload.name or "", kind),
            content_type=kind.content_type,
            size=upload.size,
            sha256=digest.hexdigest(),
            stored_name=stored_name,
            uploaded_by=by,
            **owner,
        )
    except Exception:
        store.delete(stored_name)
        raise
    return attachment
