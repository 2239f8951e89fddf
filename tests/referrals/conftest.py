from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from casebook.accounts.models import DeskRole
from casebook.intake.events import user_group
from tests.factories import case_in_state, member


@pytest.fixture
def ip_coordinator(db):
    return member("ip", DeskRole.COORDINATOR, username="ipcoord")


@pytest.fixture
def yorozu_case(cast):
    """An active yorozu case led by the cast's counselor."""
    return case_in_state(
        "active",
        lead=cast.counselor,
        by=cast.coordinator,
        title="新商品の販路開拓",
        topics=["marketing"],
    )


class Inbox:
    """A channel subscribed to one user's personal group, as a logged-in browser would be."""

    def __init__(self, user_id: int) -> None:
        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)()
        async_to_sync(self.layer.group_add)(user_group(user_id), self.channel)

    def kinds(self) -> list[str]:
        async def drain() -> list[str]:
            received = []
            while True:
                try:
                    message = await asyncio.wait_for(self.layer.receive(self.channel), 0.05)
                except TimeoutError:
                    return received
                received.append(message["kind"])

        return async_to_sync(drain)()


@pytest.fixture
def inbox():
    return Inbox
