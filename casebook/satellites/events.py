"""Live events about bookings, sent after the transaction that caused them commits.

An event carries ids only: a socket re-reads what it shows through the selectors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

if TYPE_CHECKING:
    from casebook.satellites.models import Booking


def office_group(office_id: int) -> str:
    return f"satellite.{office_id}"


def publish_booking_event(booking: Booking, kind: str) -> None:
    """Schedule `kind` about `booking` for its office's day screen."""
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
