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
from casebook.satellites.services.rules import (
    day_exception_delete,
    day_exception_save,
    office_slot_minutes_set,
    schedule_generate_for_office,
    schedule_rule_delete,
    schedule_rule_save,
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
    "day_exception_delete",
    "day_exception_save",
    "office_slot_minutes_set",
    "schedule_generate",
    "schedule_generate_for_office",
    "schedule_rule_delete",
    "schedule_rule_save",
]
