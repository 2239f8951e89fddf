"""The case page socket: who else has the case open or is editing it, and its changes."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from casebook.intake import services
from tests.factories import CaseFactory, desk
from tests.live.sockets import close_code, open_socket, run, session_cookie

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


async def next_presence(socket) -> list[dict]:
    while True:
        message = await socket.receive_json_from(timeout=1)
        if message["type"] == "presence":
            return message["people"]


async def presence_becomes(socket, expected: list[dict]) -> None:
    """Presence updates may cross (each re-reads the shared store): wait for the final one."""
    seen = []
    try:
        while (people := await next_presence(socket)) != expected:
            seen.append(people)
    except TimeoutError:
        raise AssertionError(f"presence never became {expected}; saw {seen}") from None


def test_colleagues_see_each_other_join_edit_and_leave_a_case(cast):
    case = CaseFactory(desk=desk("yorozu"))
    counselor_cookie = session_cookie(cast.counselor)
    coordinator_cookie = session_cookie(cast.coordinator)
    path = f"/ws/cases/{case.pk}/"
    counselor_name = str(cast.counselor)
    coordinator_name = str(cast.coordinator)

    async def scenario() -> None:
        counselor = await open_socket(path, counselor_cookie)
        assert await next_presence(counselor) == []

        coordinator = await open_socket(path, coordinator_cookie)
        await presence_becomes(
            coordinator, [{"id": cast.counselor.pk, "name": counselor_name, "editing": False}]
        )
        await presence_becomes(
            counselor, [{"id": cast.coordinator.pk, "name": coordinator_name, "editing": False}]
        )

        await coordinator.send_json_to({"type": "editing", "editing": True})
        await presence_becomes(
            counselor, [{"id": cast.coordinator.pk, "name": coordinator_name, "editing": True}]
        )

        await coordinator.disconnect()
        await presence_becomes(counselor, [])
        await counselor.disconnect()

    run(scenario)


def test_a_person_with_two_tabs_open_is_shown_once(cast):
    case = CaseFactory(desk=desk("yorozu"))
    counselor_cookie = session_cookie(cast.counselor)
    coordinator_cookie = session_cookie(cast.coordinator)
    path = f"/ws/cases/{case.pk}/"

    async def scenario() -> None:
        watcher = await open_socket(path, counselor_cookie)
        await next_presence(watcher)
        first_tab = await open_socket(path, coordinator_cookie)
        await next_presence(watcher)
        second_tab = await open_socket(path, coordinator_cookie)
        await second_tab.send_json_to({"type": "editing", "editing": True})
        coordinator = {"id": cast.coordinator.pk, "name": str(cast.coordinator)}
        await presence_becomes(watcher, [coordinator | {"editing": True}])
        await second_tab.disconnect()
        await presence_becomes(watcher, [coordinator | {"editing": False}])
        for socket in (first_tab, watcher):
            await socket.disconnect()

    run(scenario)


def test_a_case_page_hears_of_changes_to_its_case(cast):
    case = CaseFactory(desk=desk("yorozu"))
    cookie = session_cookie(cast.counselor)

    async def scenario() -> None:
        page = await open_socket(f"/ws/cases/{case.pk}/", cookie)
        await next_presence(page)
        await database_sync_to_async(services.case_assign)(
            case=case, counselor=cast.counselor, by=cast.coordinator
        )
        message = await page.receive_json_from(timeout=1)
        assert message["type"] == "case"
        assert message["kind"] == "assigned"
        assert message["case"]["status"] == "assigned"
        await page.disconnect()

    run(scenario)


def test_a_case_page_socket_is_refused_to_a_user_who_may_not_see_the_case(cast):
    restricted = CaseFactory(desk=desk("yorozu"), confidentiality="restricted", on_exit_track=True)
    other_desk = CaseFactory(desk=desk("ip"))
    counselor_cookie = session_cookie(cast.counselor)
    exit_cookie = session_cookie(cast.exit_team)

    async def scenario() -> None:
        for path in (f"/ws/cases/{restricted.pk}/", f"/ws/cases/{other_desk.pk}/", "/ws/cases/0/"):
            socket = await open_socket(path, counselor_cookie)
            assert await close_code(socket) == 4404, path
        exit_team = await open_socket(f"/ws/cases/{restricted.pk}/", exit_cookie)
        assert await next_presence(exit_team) == []
        await exit_team.disconnect()

    run(scenario)


def test_a_page_whose_case_leaves_the_viewers_sight_is_told_so_and_closed(cast):
    case = CaseFactory(desk=desk("yorozu"))
    counselor_cookie = session_cookie(cast.counselor)
    exit_cookie = session_cookie(cast.exit_team)

    def restrict() -> None:
        from django.db import transaction

        from casebook.intake.events import publish_case_event
        from casebook.intake.models import Case

        with transaction.atomic():
            Case.objects.filter(pk=case.pk).update(confidentiality="restricted", on_exit_track=True)
            publish_case_event(case, "exit_track")

    async def scenario() -> None:
        counselor = await open_socket(f"/ws/cases/{case.pk}/", counselor_cookie)
        await next_presence(counselor)
        await database_sync_to_async(restrict)()
        assert await counselor.receive_json_from(timeout=1) == {"type": "gone"}
        assert await close_code(counselor) == 4404
        exit_team = await open_socket(f"/ws/cases/{case.pk}/", exit_cookie)
        assert await next_presence(exit_team) == []
        await exit_team.disconnect()

    run(scenario)


def test_a_heartbeat_is_answered_and_keeps_the_page_present(cast):
    case = CaseFactory(desk=desk("yorozu"))
    counselor_cookie = session_cookie(cast.counselor)

    async def scenario() -> None:
        page = await open_socket(f"/ws/cases/{case.pk}/", counselor_cookie)
        await next_presence(page)
        await page.send_json_to({"type": "ping"})
        assert await page.receive_json_from(timeout=1) == {"type": "pong"}
        assert await next_presence(page) == []
        await page.disconnect()

    run(scenario)


def test_the_presence_line_names_the_others_in_the_users_language(cast):
    case = CaseFactory(desk=desk("yorozu"))
    counselor_cookie = session_cookie(cast.counselor)
    coordinator_cookie = session_cookie(cast.coordinator)
    path = f"/ws/cases/{case.pk}/"

    async def scenario() -> None:
        counselor = await open_socket(path, counselor_cookie, extra_cookies="django_language=en")
        await next_presence(counselor)
        coordinator = await open_socket(path, coordinator_cookie)
        await coordinator.send_json_to({"type": "editing", "editing": True})
        expected = f"Also on this case: {cast.coordinator} (editing)"
        text = ""
        while text != expected:
            message = await counselor.receive_json_from(timeout=1)
            text = message.get("text", "")
        await coordinator.disconnect()
        await counselor.disconnect()

    run(scenario)


def test_a_frame_that_is_not_json_is_ignored_and_the_socket_stays_open(cast):
    case = CaseFactory(desk=desk("yorozu"))
    cookie = session_cookie(cast.counselor)

    async def scenario() -> None:
        page = await open_socket(f"/ws/cases/{case.pk}/", cookie)
        await next_presence(page)
        await page.send_to(text_data="{not json")
        await page.send_to(bytes_data=b"\x00\x01")
        await page.send_json_to({"type": "ping"})
        assert await page.receive_json_from(timeout=1) == {"type": "pong"}
        await page.disconnect()

    run(scenario)
