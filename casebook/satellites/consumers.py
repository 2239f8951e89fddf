"""`ws/satellites/<office>/`: the day screen of a satellite office, live (docs/satellites.md,
"Live updates"). Built on intake's LiveConsumer: the login is re-read per event, close codes
4401 (log in again) and 4404 (nothing to watch here).

Events on the office's group carry ids only (events.py). Each socket re-reads the booking for
its own user through the selectors before it sends anything: a user who may no longer see the
schedules is cut off, and nothing says who booked (the page re-reads its rows for that).
"""

from __future__ import annotations

from channels.db import database_sync_to_async

from casebook.accounts.models import User
from casebook.intake.consumers import LiveConsumer
from casebook.satellites import selectors
from casebook.satellites.events import office_group


class SatelliteDayConsumer(LiveConsumer):
    """Sends {"type": "booking", "kind", "booking": {id, slot, status, date}} on every change
    to a booking of the office."""

    async def start(self, user: User) -> None:
        code = self.scope["url_route"]["kwargs"]["code"]
        office = await database_sync_to_async(selectors.satellite_office_get)(user=user, code=code)
        self.office_id = office.pk
        await self.join(office_group(office.pk))

    async def booking_event(self, event: dict) -> None:
        user = await self.viewer()
        if user is None:
            return
        # 404 once the office is no longer the user's to see: `LiveConsumer.dispatch` closes
        # the socket with 4404.
        booking = await database_sync_to_async(selectors.live_booking_for_user)(
            user=user, office_id=self.office_id, booking_id=event["booking_id"]
        )
        if booking is not None:
            await self.send_json({"type": "booking", "kind": event["kind"], "booking": booking})
