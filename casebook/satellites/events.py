"""Live events about bookings, sent after the transaction that caused them commits.

An event carries ids only: a socket re-reads what it shows through the selectors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone

from casebook.intake.events import publish_board_extra_event, send_on_commit

if TYPE_CHECKING:
    from casebook.satellites.models import Booking

# The desk whose counselors staff the satellites: its board lists today's bookings, and a
# check-in without a case opens one there.
SATELLITE_DESK = "yorozu"
# The key of that list under the board (extensions.py).
BOARD_EXTRA_KEY = "satellite_bookings_today"


def office_group(office_id: int) -> str:
    return f"satellite.{office_id}"


def publish_booking_event(booking: Booking, kind: str) -> None:
    """Schedule `kind` about `booking` for its office's day screen and, for a booking of
    today, the list of today's bookings under the satellite desk's board."""
    message = {
        "type": "booking.event",
        "booking_id": booking.pk,
        "slot_id": booking.slot_id,
        "kind": kind,
    }
    group = office_group(booking.slot.office_id)

    # The day screen catches up when it reloads.
    send_on_commit(lambda: [(group, message)])
    if timezone.localtime(booking.slot.starts_at).date() == timezone.localdate():
        publish_board_extra_event(SATELLITE_DESK, BOARD_EXTRA_KEY)
