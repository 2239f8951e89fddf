"""The mail that carries a satisfaction survey's link (always Japanese: the page is)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from casebook.reports.models import SatisfactionSurvey


def survey_url(token: str) -> str:
    path = reverse("survey_answer", kwargs={"token": token})
    return settings.CASEBOOK_SITE_URL.rstrip("/") + path


def survey_invitation(survey: SatisfactionSurvey, token: str, address: str) -> EmailMessage:
    """The invitation names the desk and the month of the consultation, never the case."""
    with translation.override("ja"):
        body = render_to_string(
            "reports/mail/survey_invitation.txt",
            {
                "organisation": settings.CASEBOOK_ORGANISATION,
                "desk": survey.desk.name,
                "month": survey.consultation_month,
                "url": survey_url(token),
                "days": settings.CASEBOOK_SURVEY_OPEN_DAYS,
            },
        )
        subject = _("A short survey about your consultation at %(desk)s") % {
            "desk": survey.desk.name
        }
    return EmailMessage(
        subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[address]
    )
