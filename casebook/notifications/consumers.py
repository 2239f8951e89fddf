"""`ws/notifications/`: the user's new notifications and their unread count, live.

Messages on the user's group carry ids only (services/inbox.py). Each is re-read for the
user now: one that is no longer theirs to see is never sent.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from django.utils import translation

from casebook.accounts.models import User
from casebook.intake.consumers import LiveConsumer
from casebook.intake.events import user_group
from casebook.notifications import selectors


def _live_notification(user: User, pk: int, language: str) -> dict | None:
    with translation.override(language):
        return selectors.live_notification_for_user(user=user, pk=pk)


class InboxConsumer(LiveConsumer):
    """Sends {"type": "notification", id, kind, text, url, case, unread} for each new
    notification and {"type": "unread", "unread": n} when notifications were read elsewhere."""

    async def start(self, user: User) -> None:
        await self.join(user_group(user.pk))

    async def notification_created(self, event: dict) -> None:
        user = await self.viewer()
        if user is None:
            return
        payload = await database_sync_to_async(_live_notification)(
            user, event["notification_id"], self.language
        )
        if payload is not None:
            await self.send_json(payload)

    async def inbox_changed(self, event: dict) -> None:
        user = await self.viewer()
        if user is None:
            return
        count = await database_sync_to_async(selectors.unread_count)(user=user)
        await self.send_json({"type": "unread", "unread": count})
