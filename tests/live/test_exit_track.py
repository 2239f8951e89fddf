"""A case put on the exit track leaves the sockets of everyone outside the team: the desk
board says only that it is hidden (its id), the case page's socket that it is gone; the
team, its counselors and managers hear the change."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async

from casebook.accounts.models import DeskRole
from casebook.exits import services
from tests.factories import exit_candidate, member
from tests.live.sockets import open_socket, run, session_cookie

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

put_on = database_sync_to_async(services.exit_track_put_on)


def test_a_case_put_on_the_track_reaches_only_the_team_its_counselors_and_managers(cast):
    case = exit_candidate(cast, title="極秘の廃業準備")
    secrets = (case.number, case.title, case.client.name)
    other = member("yorozu", DeskRole.COUNSELOR, username="other")
    cookies = {
        name: session_cookie(user)
        for name, user in {
            "coordinator": cast.coordinator,
            "other": other,
            "auditor": cast.auditor,
            "exit_team": cast.exit_team,
            "counselor": cast.counselor,
            "manager": cast.manager,
        }.items()
    }

    async def scenario() -> None:
        boards = {name: await open_socket("/ws/board/yorozu/", c) for name, c in cookies.items()}
        case_page = await open_socket(f"/ws/cases/{case.pk}/", cookies["coordinator"])
        await put_on(case=case, by=cast.exit_team, path="orderly_closure", reason="廃業の意向")
        for name in ("exit_team", "counselor", "manager"):
            message = await boards[name].receive_json_from(timeout=1)
            assert message["kind"] == "exit_track_on" and message["case"]["id"] == case.pk
        for name in ("coordinator", "other", "auditor"):
            while not await boards[name].receive_nothing(timeout=0.3):
                text = json.dumps(await boards[name].receive_json_from(timeout=1))
                assert not any(secret in text for secret in secrets), (name, text)
        heard = [await case_page.receive_json_from(timeout=1)]
        while heard[-1]["type"] == "presence":
            heard.append(await case_page.receive_json_from(timeout=1))
        assert heard[-1] == {"type": "gone"}
        assert not any(secret in json.dumps(heard) for secret in secrets)
        for socket in (*boards.values(), case_page):
            await socket.disconnect()

    run(scenario)
