"""The confirmation a public booking sends, with its cancellation link."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from casebook.satellites.models import Booking


def cancel_url(token: str) -> str:
    path = reverse("satellites:public_cancel", kwargs={"token": token})
    return settings.CASEBOOK_SITE_URL.rstrip("/") + path


def booking_confirmation(booking: Booking, token: str) -> EmailMessage:
    """The mail to the address the form gave (always Japanese: the form is)."""
    with translation.override("ja"):
        slot = booking.slot
        body = render_to_string(
            "satellites/mail/booking_confirmation.txt",
            {
                "booking": booking,
                "office": slot.office,
                "starts_at": timezone.localtime(slot.starts_at),
                "ends_at": timezone.localtime(slot.ends_at),
                "cancel_url": cancel_url(token),
            },
        )
        subject = _("Your consultation booking at %(office)s") % {"office": slot.office.name}
    return EmailMessage(
        subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[booking.email]
    )
