"""What every live socket shares (`intake.consumers.LiveConsumer`): an event whose re-read
finds that the login may no longer see what the socket watches closes it with 4404."""

from __future__ import annotations

import pytest
from channels.auth import AuthMiddlewareStack
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.http import Http404
from django.urls import path

from casebook.accounts.models import User
from casebook.intake.consumers import LiveConsumer
from tests.live.sockets import close_code, open_socket, run, session_cookie

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

GROUP = "watched-thing"


class WatchingConsumer(LiveConsumer):
    """Watches one thing; each event says whether its login may still see it."""

    async def start(self, user: User) -> None:
        await self.join(GROUP)

    async def thing_event(self, event: dict) -> None:
        if not event["still_seen"]:
            raise Http404("no longer this login's to see")
        await self.send_json({"type": "thing"})


application = AllowedHostsOriginValidator(
    AuthMiddlewareStack(URLRouter([path("ws/thing/", WatchingConsumer.as_asgi())]))
)


def test_an_event_whose_reread_answers_404_closes_the_socket_with_4404(cast):
    cookie = session_cookie(cast.counselor)

    async def scenario() -> None:
        socket = await open_socket("/ws/thing/", cookie, application=application)
        layer = get_channel_layer()
        await layer.group_send(GROUP, {"type": "thing.event", "still_seen": True})
        assert await socket.receive_json_from(timeout=1) == {"type": "thing"}
        await layer.group_send(GROUP, {"type": "thing.event", "still_seen": False})
        assert await close_code(socket) == 4404

    run(scenario)
