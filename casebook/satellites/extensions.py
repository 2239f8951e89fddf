"""What the satellites add to the other apps' screens through the extension registry
(docs/architecture.md, "Extension points"): today's satellite bookings under the board of
the desk that staffs the satellites."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _

from casebook.common.extensions import BoardExtra
from casebook.satellites import selectors
from casebook.satellites.events import BOARD_EXTRA_KEY, SATELLITE_DESK

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
    registry.add_board_extra_provider(satellite_board_extras)
