"""Live events about bookings, sent after the transaction that caused them commits.

An event carries ids only: a socket re-reads what it shows through the selectors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.utils import timezone

from casebook.intake.events import publish_board_extra_event

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

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        async_to_sync(layer.group_send)(group, message)

    # robust: the booking is committed; a channel layer that is down must not undo it for
    # the person who made it (the day screen catches up when it reloads).
    transaction.on_commit(send, robust=True)
    if timezone.localtime(booking.slot.starts_at).date() == timezone.localdate():
        publish_board_extra_event(SATELLITE_DESK, BOARD_EXTRA_KEY)
