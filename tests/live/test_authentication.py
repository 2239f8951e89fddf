"""Sockets are for logged-in staff only, and stop serving a user who logs out."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.contrib.sessions.models import Session

from casebook.intake import services
from tests.factories import CaseFactory, desk
from tests.live.sockets import close_code, open_socket, run, session_cookie

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.mark.parametrize("path", ["/ws/board/yorozu/", "/ws/notifications/", "/ws/cases/1/"])
def test_an_unauthenticated_socket_is_closed(path):
    async def scenario() -> None:
        socket = await open_socket(path)
        assert await close_code(socket) == 4401

    run(scenario)


def test_a_socket_with_a_forged_session_cookie_is_closed():
    async def scenario() -> None:
        socket = await open_socket("/ws/notifications/", "not-a-session")
        assert await close_code(socket) == 4401

    run(scenario)


def test_a_socket_from_a_foreign_origin_is_refused(cast):
    from channels.testing import WebsocketCommunicator

    from casebook.asgi import application

    cookie = session_cookie(cast.counselor)

    async def scenario() -> None:
        socket = WebsocketCommunicator(
            application,
            "/ws/notifications/",
            headers=[
                (b"origin", b"http://evil.example"),
                (b"cookie", f"sessionid={cookie}".encode()),
            ],
        )
        connected, _ = await socket.connect(timeout=3)
        assert not connected

    run(scenario)


def test_a_user_who_logged_out_gets_no_more_events(cast):
    case = CaseFactory(desk=desk("yorozu"))
    cookie = session_cookie(cast.counselor)

    async def scenario() -> None:
        board = await open_socket("/ws/board/yorozu/", cookie)
        await database_sync_to_async(Session.objects.filter(session_key=cookie).delete)()
        await database_sync_to_async(services.case_assign)(
            case=case, counselor=cast.counselor, by=cast.coordinator
        )
        assert await close_code(board) == 4401

    run(scenario)


def test_a_deactivated_user_gets_no_more_events(cast):
    case = CaseFactory(desk=desk("yorozu"))
    cookie = session_cookie(cast.counselor)

    def deactivate() -> None:
        cast.counselor.is_active = False
        cast.counselor.save(update_fields=["is_active"])

    async def scenario() -> None:
        board = await open_socket("/ws/board/yorozu/", cookie)
        await database_sync_to_async(deactivate)()
        await database_sync_to_async(services.case_assign)(
            case=case, counselor=cast.coordinator, by=cast.coordinator
        )
        assert await close_code(board) == 4401

    run(scenario)
