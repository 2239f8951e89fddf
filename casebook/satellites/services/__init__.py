"""Every write to satellite schedules and bookings goes through these functions."""

from casebook.satellites.services.bookings import (
    SlotTaken,
    booking_cancel,
    booking_cancel_by_token,
    booking_check_in,
    booking_create,
    booking_no_show,
    booking_public_create,
    cancel_token,
)
from casebook.satellites.services.schedule import GenerationResult, schedule_generate

__all__ = [
    "GenerationResult",
    "SlotTaken",
    "booking_cancel",
    "booking_cancel_by_token",
    "booking_check_in",
    "booking_create",
    "booking_no_show",
    "booking_public_create",
    "cancel_token",
    "schedule_generate",
]
