"""Staff book a slot for a client and cancel a booking, from the day screen (docs/satellites.md,
"Bookings"): the client is searched for or registered as at intake, through the same service
(and the same no-double-booking rule) as the public form and the API."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from casebook.common.web import form_action, new_form_token, page_view
from casebook.intake.models import CaseStatus
from casebook.intake.selectors.cases import cases_of_client_for_user
from casebook.intake.views.client_step import (
    chosen_client,
    client_search_step,
    duplicates_to_confirm,
)
from casebook.satellites import policy, selectors, services
from casebook.satellites.forms import CancelBookingForm, StaffBookingForm
from casebook.satellites.models import Booking, Slot


def day_url(slot: Slot) -> str:
    day = timezone.localtime(slot.starts_at).date()
    return reverse("satellites:day", args=[slot.office.code]) + f"?date={day:%Y-%m-%d}"


@page_view
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, pk: int) -> HttpResponse:
    """Book a free slot: find the client (or register one), optionally pick an open case."""
    slot = selectors.slot_get_for_user(user=request.user, pk=pk)
    policy.require(request.user, policy.BOOK)
    search = client_search_step(request, search_url=reverse("satellites:book", args=[slot.pk]))
    if search.results:
        return search.results
    source = request.POST if request.method == "POST" else request.GET
    chosen = chosen_client(request, source.get("client"))
    cases = (
        cases_of_client_for_user(user=request.user, client=chosen)
        .exclude(status=CaseStatus.CLOSED)
        .order_by("-opened_at")
        if chosen
        else None
    )
    if request.method == "POST":
        form = StaffBookingForm(request.POST, cases=cases)
    else:
        form = StaffBookingForm(
            initial={"form_token": new_form_token(), "client": chosen.pk if chosen else None},
            cases=cases,
        )
    context: dict[str, Any] = {
        "slot": slot,
        "q": search.q,
        "found": search.found,
        "chosen": chosen,
        "form": form,
        "duplicates": [],
    }

    def perform(data: dict[str, Any]) -> Booking:
        with duplicates_to_confirm(context):
            return services.booking_create(
                by=request.user,
                slot=slot,
                client=chosen,
                new_client=form.client_fields()
                if chosen is None and form.has_client_details()
                else None,
                case=data["case"],
                topic=data["topic"],
                contact_name=data["contact_name"],
                allow_duplicate=data["allow_duplicate"],
            )

    return form_action(
        request,
        form=form,
        perform=perform,
        done=lambda booking: _("Booked: %(name)s") % {"name": booking.company_name},
        success_url=lambda booking: day_url(booking.slot) if booking else day_url(slot),
        render_form=lambda form, status: render(
            request, "satellites/book.html", context, status=status
        ),
        rename={"client": "name"},
        once=True,
    )


@page_view
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a booking (the slot is free again), with the version the day screen showed."""
    booking = selectors.booking_get_for_user(user=request.user, pk=pk)
    policy.require_offered(request.user, booking, "cancel")
    form = CancelBookingForm(request.POST or None, initial={"version": booking.version})
    return form_action(
        request,
        form=form,
        perform=lambda data: services.booking_cancel(
            booking=booking,
            by=request.user,
            expected_version=data["version"],
            reason=data["reason"],
        ),
        done=lambda b: _("Booking cancelled: %(name)s") % {"name": b.company_name},
        success_url=lambda b: day_url((b or booking).slot),
        render_form=lambda form, status: render(
            request, "satellites/cancel.html", {"form": form, "booking": booking}, status=status
        ),
    )
