"""The public booking form (no login, Japanese, for a phone): office → day → free slot.

Bots are kept out by a hidden field, a minimum fill time and a limit of bookings per address
per hour in the shared cache (docs/satellites.md, "The public booking form").
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from casebook.accounts.lockout import client_ip
from casebook.common.errors import ConflictError
from casebook.common.web import always_japanese, apply_service_errors, over_hourly_limit
from casebook.satellites import selectors, services
from casebook.satellites.forms import PublicBookingForm


def _over_rate_limit(request: HttpRequest) -> bool:
    """Count this attempt for the address; True past the hourly limit. The address is the
    one the login lockout counts (docs/security.md, finding 5): behind the deployment's
    trusted proxies each visitor has their own, and a forged header changes nothing."""
    return over_hourly_limit(
        f"satellites:booking-rate:{client_ip(request)}", settings.CASEBOOK_BOOKING_RATE_PER_HOUR
    )


@always_japanese
@require_http_methods(["GET"])
def offices(request: HttpRequest) -> HttpResponse:
    return render(
        request, "satellites/public/offices.html", {"offices": selectors.public_offices()}
    )


def _day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text or "")
    except ValueError:
        return None


@always_japanese
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, code: str) -> HttpResponse:
    office = selectors.public_office_get(code=code)
    day = _day(request.GET.get("day"))
    if day is None:
        return render(
            request,
            "satellites/public/days.html",
            {"office": office, "days": selectors.public_free_days(office=office)},
        )
    slots = selectors.public_free_slots(office=office, day=day)
    context = {"office": office, "day": day}
    if request.method == "GET":
        form = PublicBookingForm(slots=slots)
        return render(request, "satellites/public/book.html", {**context, "form": form})
    if _over_rate_limit(request):
        return render(
            request,
            "satellites/public/book.html",
            {
                **context,
                "form": PublicBookingForm(request.POST, slots=slots),
                "refused": _("too many bookings from this address; please try again later"),
            },
            status=429,
        )
    form = PublicBookingForm(request.POST, slots=slots)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.booking_public_create(
                slot=data["slot"],
                company_name=data["company_name"],
                contact_name=data["contact_name"],
                email=data["email"],
                phone=data["phone"],
                topic=data["topic"],
                privacy_consent=data["privacy_consent"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        except ConflictError as error:
            form.add_error("slot", error.message)
        else:
            messages.success(
                request, _("Your consultation is booked. A confirmation e-mail is on its way.")
            )
            return redirect("satellites:public_done")
    return render(request, "satellites/public/book.html", {**context, "form": form}, status=400)


@always_japanese
@require_http_methods(["GET"])
def done(request: HttpRequest) -> HttpResponse:
    return render(request, "satellites/public/done.html")


@always_japanese
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the confirmation: GET asks (link scanners GET), POST cancels."""
    if request.method == "GET":
        return render(request, "satellites/public/cancel.html", {"token": token})
    try:
        services.booking_cancel_by_token(token=token)
    except ConflictError as error:
        return render(
            request,
            "satellites/public/cancel.html",
            {"token": token, "refused": error.message},
            status=409,
        )
    return render(request, "satellites/public/cancel.html", {"token": token, "done": True})
