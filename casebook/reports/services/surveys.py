"""The satisfaction survey: sending it once per closed case, answering it once
(docs/reports.md, "Satisfaction survey").

The link carries a random token; the survey keeps only its SHA-256 (`token_digest`), so
neither a copy of the database nor the admin can answer for a client, and a new
`SECRET_KEY` breaks no link already mailed. The mail goes out once the survey is committed,
and the lead counselor is told in the same transaction: no survey sent, no notice of one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from casebook.common.errors import ConflictError, DomainError
from casebook.common.extensions import registry
from casebook.common.models import raise_if_errors, save_tracked
from casebook.intake.models import (
    Case,
    CaseStatus,
    ClientContact,
    ClosureReason,
    Confidentiality,
    ConsultationSession,
)
from casebook.intake.services import lock_case
from casebook.reports.mail import survey_invitation
from casebook.reports.models import SatisfactionSurvey, SurveyScore

if TYPE_CHECKING:
    from casebook.intake.models import Client

# A case closed as a duplicate lives on in the case it was merged into; a client who
# withdrew has told us enough. Neither is asked.
NO_SURVEY_REASONS = (ClosureReason.DUPLICATE, ClosureReason.WITHDRAWN)
COMMENT_LENGTH = 2000
# The notification kind that tells the lead counselor a survey went out (a reminder kind:
# casebook/reports/reminders.py labels it and writes its line).
SURVEY_SENT_KIND = "satisfaction_survey"


class SurveyLinkInvalid(DomainError):
    """No open survey behind this link: unknown, expired, or of a case no longer surveyed."""


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def surveyable_cases_q() -> Q:
    """A filter on Case: those whose client may be sent a survey — closed, not as a duplicate
    or withdrawn, not restricted nor on the exit track (the survey would tell an outsider
    reading the client's mail of a business-exit consultation), with a client that is not
    anonymised and has an address (its primary contact's or its own)."""
    primary_with_address = ClientContact.objects.filter(
        client_id=OuterRef("client_id"), is_primary=True
    ).exclude(email="")
    return (
        Q(status=CaseStatus.CLOSED, closed_at__isnull=False, client__isnull=False)
        & ~Q(closure_reason__in=NO_SURVEY_REASONS)
        & ~Q(confidentiality=Confidentiality.RESTRICTED)
        & Q(on_exit_track=False)
        & Q(client__anonymised_at__isnull=True)
        & (~Q(client__email="") | Q(Exists(primary_with_address)))
    )


def survey_address(client: Client) -> str:
    """Where a client's survey goes: its primary contact's address, else the client's own."""
    primary = client.contacts.filter(is_primary=True).exclude(email="").first()
    return primary.email if primary is not None else client.email


def consultation_month_of(case: Case) -> dt.date:
    """The month of the case's latest session (the closure's when it had none)."""
    latest = (
        ConsultationSession.objects.filter(case_id=case.pk)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    day = timezone.localdate(latest or case.closed_at)
    return day.replace(day=1)


def survey_of_case(case: Case, *, token_hash: str, sent_at: dt.datetime) -> SatisfactionSurvey:
    """A closed case's survey, not yet saved: what it asks about is fixed when it is sent."""
    return SatisfactionSurvey(
        case=case,
        desk_id=case.desk_id,
        counselor_id=case.lead_counselor_id,
        consultation_month=consultation_month_of(case),
        closed_at=case.closed_at,
        token_hash=token_hash,
        sent_at=sent_at,
    )


@transaction.atomic
def survey_send(*, case_id: int) -> SatisfactionSurvey | None:
    """Create the case's survey, mail its link to the client once this commits, and tell the
    lead counselor it went out.

    None when the case is not (or no longer) one to survey, or already has its survey: two
    senders at once wait on the case's lock, and the second finds the first one's survey.
    Either way nothing is sent and nobody is told: the notice follows from the send, under
    the case's lock, so a case reopened a moment before is never announced as surveyed.
    """
    case = lock_case(case_id)
    if not Case.objects.filter(surveyable_cases_q(), pk=case.pk).exists():
        return None
    if SatisfactionSurvey.objects.filter(case_id=case.pk).exists():
        return None
    address = survey_address(case.client)
    token = secrets.token_urlsafe(32)
    survey = survey_of_case(case, token_hash=token_digest(token), sent_at=timezone.now())
    try:
        with transaction.atomic():
            save_tracked(survey, by=None, reason="sent after the case closed")
    except IntegrityError:
        # The unique case: another sender's survey landed first (databases without row locks).
        return None
    except ValidationError as error:
        if "case" not in getattr(error, "error_dict", {}):
            raise
        return None
    message = survey_invitation(survey, token, address)
    # robust: a mail server that is down loses this mail (logged), never the survey row.
    transaction.on_commit(message.send, robust=True)
    if case.lead_counselor_id is not None:
        # Stored with the survey (the inbox's listener); the sockets hear of it on commit.
        registry.case_event_published(case, SURVEY_SENT_KIND, frozenset({case.lead_counselor_id}))
    return survey


def survey_open_until(survey: SatisfactionSurvey) -> dt.datetime:
    return survey.sent_at + dt.timedelta(days=settings.CASEBOOK_SURVEY_OPEN_DAYS)


def survey_for_token(*, token: str, lock: bool = False) -> SatisfactionSurvey:
    """The survey behind a link, whether answered or not; SurveyLinkInvalid when there is none
    open (unknown, expired, or its case restricted since)."""
    rows = SatisfactionSurvey.objects.select_related("desk")
    if lock:
        rows = rows.select_for_update(no_key=True, of=("self",))
    survey = rows.filter(token_hash=token_digest(token)).first()
    if survey is None:
        raise SurveyLinkInvalid(_("this survey link is not valid"), code="unknown")
    if survey.answered_at is None and timezone.now() >= survey_open_until(survey):
        raise SurveyLinkInvalid(_("this survey is closed"), code="expired")
    if Case.objects.filter(pk=survey.case_id, confidentiality=Confidentiality.RESTRICTED).exists():
        raise SurveyLinkInvalid(_("this survey is closed"), code="closed")
    return survey


def _already_answered() -> ConflictError:
    return ConflictError(_("this survey has already been answered"), code="already_answered")


@transaction.atomic
def survey_answer(
    *,
    token: str,
    score: int | None,
    comment: str = "",
    acted_on_advice: bool | None = None,
    got_results: bool | None = None,
) -> SatisfactionSurvey:
    """Record the client's answer, once: a second answer is refused (ConflictError) and
    overwrites nothing, also when both arrive at the same moment (the row lock)."""
    survey = survey_for_token(token=token, lock=True)
    if survey.answered_at is not None:
        raise _already_answered()
    comment = (comment or "").strip()
    errors: dict[str, list[ValidationError]] = {}
    if score not in SurveyScore.values:
        errors["score"] = [ValidationError(_("choose one of the five answers"), code="required")]
    if len(comment) > COMMENT_LENGTH:
        errors["comment"] = [
            ValidationError(
                _("at most %(limit)s characters") % {"limit": COMMENT_LENGTH}, code="too_long"
            )
        ]
    raise_if_errors(errors)
    survey.score = score
    survey.comment = comment
    survey.acted_on_advice = acted_on_advice
    survey.got_results = got_results
    survey.answered_at = timezone.now()
    save_tracked(
        survey,
        by=None,
        update_fields=["score", "comment", "acted_on_advice", "got_results", "answered_at"],
        reason="answered by the client",
    )
    return survey
