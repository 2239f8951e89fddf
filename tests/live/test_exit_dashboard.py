"""The exit team's dashboard is live (`ws/exits/`): the team and managers hear each change of a
plan (its id and what happened, nothing else) once it commits; anyone else is refused, and a
reader who left the team is closed at the next event."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async

from casebook.exits import services
from tests.factories import exit_candidate, on_exit_track
from tests.live.sockets import close_code, open_socket, run, session_cookie

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

complete = database_sync_to_async(services.milestone_complete)
put_on = database_sync_to_async(services.exit_track_put_on)


def test_the_team_and_managers_hear_each_plan_change_by_id_only(cast):
    plan = on_exit_track(exit_candidate(cast, title="極秘の廃業準備"), by=cast.exit_team)
    milestone = plan.milestones.first()
    newcomer = exit_candidate(cast, title="新しい承継案件")
    secrets = (plan.case.number, plan.case.title, newcomer.number, newcomer.title)
    cookies = {"exit_team": session_cookie(cast.exit_team), "manager": session_cookie(cast.manager)}

    async def scenario() -> None:
        sockets = {
            name: await open_socket("/ws/exits/", cookie) for name, cookie in cookies.items()
        }
        await complete(milestone=milestone, by=cast.counselor)
        for socket in sockets.values():
            message = await socket.receive_json_from(timeout=1)
            assert message == {
                "type": "plan",
                "kind": "exit_milestone_changed",
                "plan": {"id": plan.pk},
            }
        new_plan = await put_on(case=newcomer, by=cast.exit_team, path="turnaround", reason="再建")
        for socket in sockets.values():
            message = await socket.receive_json_from(timeout=1)
            assert message["kind"] == "exit_track_on" and message["plan"] == {"id": new_plan.pk}
            assert not any(secret in json.dumps(message) for secret in secrets)
        for socket in sockets.values():
            await socket.disconnect()

    run(scenario)


@pytest.mark.parametrize("who", ["coordinator", "counselor", "auditor", "outsider"])
def test_only_the_dashboards_readers_open_its_socket(cast, who):
    cookie = session_cookie(getattr(cast, who))

    async def scenario() -> None:
        socket = await open_socket("/ws/exits/", cookie)
        assert await close_code(socket) == 4404

    run(scenario)


def test_a_reader_who_left_the_team_is_closed_at_the_next_event(cast):
    plan = on_exit_track(exit_candidate(cast), by=cast.exit_team)
    milestone = plan.milestones.first()
    cookie = session_cookie(cast.exit_team)

    def leave_the_team() -> None:
        cast.exit_team.memberships.update(active=False)

    async def scenario() -> None:
        socket = await open_socket("/ws/exits/", cookie)
        await database_sync_to_async(leave_the_team)()
        await complete(milestone=milestone, by=cast.manager)
        assert await close_code(socket) == 4404

    run(scenario)
