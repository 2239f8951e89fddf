"""Finding 9 (docs/security.md): the case socket's presence and editing messages re-check the
user on every message."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.contrib.sessions.models import Session

from casebook.intake.models import Case
from tests.factories import CaseFactory, desk
from tests.live.conftest import isolated_live_state
from tests.live.sockets import close_code, open_socket, run, session_cookie

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

__all__ = ["isolated_live_state"]


async def _first_presence(socket) -> None:
    while (await socket.receive_json_from(timeout=1))["type"] != "presence":
        pass


def test_an_editing_message_after_logout_closes_the_socket_and_announces_nobody(cast):
    case = CaseFactory(desk=desk("yorozu"))
    cookie = session_cookie(cast.counselor)
    watcher_cookie = session_cookie(cast.coordinator)
    path = f"/ws/cases/{case.pk}/"

    async def scenario() -> None:
        page = await open_socket(path, cookie)
        await _first_presence(page)
        await database_sync_to_async(Session.objects.filter(session_key=cookie).delete)()
        await page.send_json_to({"type": "editing", "editing": True})
        assert await close_code(page) == 4401
        watcher = await open_socket(path, watcher_cookie)
        message = await watcher.receive_json_from(timeout=1)
        assert message == {"type": "presence", "people": [], "text": message["text"]}
        await watcher.disconnect()

    run(scenario)


def test_a_ping_after_losing_access_to_the_case_closes_the_socket(cast):
    case = CaseFactory(desk=desk("yorozu"))
    cookie = session_cookie(cast.counselor)

    def restrict() -> None:
        Case.objects.filter(pk=case.pk).update(confidentiality="restricted")

    async def scenario() -> None:
        page = await open_socket(f"/ws/cases/{case.pk}/", cookie)
        await _first_presence(page)
        await database_sync_to_async(restrict)()
        await page.send_json_to({"type": "ping"})
        assert await page.receive_json_from(timeout=2) == {"type": "pong"}
        assert await page.receive_json_from(timeout=2) == {"type": "gone"}
        assert await close_code(page) == 4404

    run(scenario)
