"""What the satellites add to the other apps' screens through the extension registry
(docs/architecture.md, "Extension points"): today's satellite bookings under the board of
the desk that staffs the satellites."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casebook.common.exports import record
from casebook.common.extensions import BoardExtra, PersonalDataSource
from casebook.intake.history import history_kind
from casebook.satellites import selectors
from casebook.satellites.events import BOARD_EXTRA_KEY, SATELLITE_DESK
from casebook.satellites.models import Booking

if TYPE_CHECKING:
    from casebook.accounts.models import Desk, User
    from casebook.common.extensions import Registry

# The board lists the next ones; each office's day screen has them all.
BOARD_ROWS = 20


def satellite_board_extras(user: User, desk: Desk) -> list[BoardExtra]:
    """Today's bookings at the satellites, on the board of the desk that staffs them."""
    if desk.code != SATELLITE_DESK:
        return []
    rows = selectors.bookings_of_day(user=user, day=timezone.localdate(), limit=BOARD_ROWS)
    return [
        BoardExtra(
            key=BOARD_EXTRA_KEY,
            label=_("satellite bookings today"),
            items=rows,
            template="satellites/_board_extra.html",
        )
    ]


def register(registry: Registry) -> None:
    registry.add_case_extensions(
        history=history_kind(
            "bookings", gettext_lazy("booking"), selectors.booking_get_for_user, lambda b: b.case
        ),
        personal_data=PersonalDataSource(key="bookings", rows=booking_personal_data, order=40),
        personal_data_eraser=booking_anonymise,
        board_extras=satellite_board_extras,
    )


def booking_personal_data(client: Any) -> Iterator[dict[str, Any]]:
    """The client's satellite bookings, for the APPI export (docs/security.md, "APPI")."""
    for booking in Booking.objects.filter(client=client).order_by("pk"):
        yield record(booking)


def booking_anonymise(client: Any) -> int:
    """The retention run (docs/security.md, "Retention"): the client's bookings keep their
    slot, status and counts, and lose who booked, how to reach them and what they wrote; the
    history rows that held those go too, and each booking gets one history row saying why."""
    bookings = list(Booking.objects.filter(client=client))
    Booking.history.model.objects.filter(id__in=[booking.pk for booking in bookings]).delete()
    for booking in bookings:
        booking.company_name = "(匿名化済み)"
        booking.contact_name = booking.email = booking.phone = booking.topic = ""
        booking._change_reason = "retention: personal data anonymised"
        booking.save(update_fields=["company_name", "contact_name", "email", "phone", "topic"])
    return len(bookings)
