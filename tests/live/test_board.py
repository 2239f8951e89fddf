"""The desk board socket: committed changes reach exactly the users who may see the case."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from casebook.intake import services
from casebook.intake.events import publish_case_event
from casebook.intake.models import Case
from tests.factories import CaseFactory, desk, member
from tests.live.sockets import close_code, open_socket, run, session_cookie

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

assign = database_sync_to_async(services.case_assign)


def test_an_assignment_reaches_the_board_of_a_desk_member_within_a_second(cast):
    case = CaseFactory(desk=desk("yorozu"))
    cookie = session_cookie(cast.counselor)

    async def scenario() -> None:
        board = await open_socket("/ws/board/yorozu/", cookie)
        await assign(case=case, counselor=cast.counselor, by=cast.coordinator)
        message = await board.receive_json_from(timeout=1)
        assert message["type"] == "case"
        assert message["kind"] == "assigned"
        assert message["case"]["id"] == case.pk
        assert message["case"]["number"] == case.number
        assert message["case"]["status"] == "assigned"
        assert message["case"]["lead_counselor"] == cast.counselor.pk
        await board.disconnect()

    run(scenario)


def test_a_case_of_another_desk_never_reaches_a_board(cast):
    yorozu_case = CaseFactory(desk=desk("yorozu"))
    ip_case = CaseFactory(desk=desk("ip"))
    ip_coordinator = member("ip", "coordinator", username="ipcoord")
    colleague_cookie = session_cookie(cast.colleague)
    counselor_cookie = session_cookie(cast.counselor)

    async def scenario() -> None:
        ip_board = await open_socket("/ws/board/ip/", colleague_cookie)
        yorozu_board = await open_socket("/ws/board/yorozu/", counselor_cookie)
        await assign(case=yorozu_case, counselor=cast.counselor, by=cast.coordinator)
        received = await yorozu_board.receive_json_from(timeout=1)
        assert received["case"]["id"] == yorozu_case.pk
        assert await ip_board.receive_nothing(timeout=0.3)
        await assign(case=ip_case, counselor=cast.colleague, by=ip_coordinator)
        received = await ip_board.receive_json_from(timeout=1)
        assert received["case"]["id"] == ip_case.pk
        assert await yorozu_board.receive_nothing(timeout=0.3)
        await ip_board.disconnect()
        await yorozu_board.disconnect()

    run(scenario)


def test_a_restricted_case_never_reaches_a_plain_desk_member(cast):
    case = CaseFactory(desk=desk("yorozu"), confidentiality="restricted", on_exit_track=True)
    counselor_cookie = session_cookie(cast.counselor)
    exit_cookie = session_cookie(cast.exit_team)
    manager_cookie = session_cookie(cast.manager)
    auditor_cookie = session_cookie(cast.auditor)

    async def scenario() -> None:
        plain = await open_socket("/ws/board/yorozu/", counselor_cookie)
        exit_team = await open_socket("/ws/board/yorozu/", exit_cookie)
        manager = await open_socket("/ws/board/yorozu/", manager_cookie)
        auditor = await open_socket("/ws/board/yorozu/", auditor_cookie)
        await assign(case=case, counselor=cast.exit_team, by=cast.exit_team)
        for permitted in (exit_team, manager):
            message = await permitted.receive_json_from(timeout=1)
            assert message["case"]["id"] == case.pk
        for unpermitted in (plain, auditor):
            assert await unpermitted.receive_nothing(timeout=0.3)
        for socket in (plain, exit_team, manager, auditor):
            await socket.disconnect()

    run(scenario)


def test_nothing_is_sent_for_a_change_that_is_rolled_back(cast):
    case = CaseFactory(desk=desk("yorozu"))
    cookie = session_cookie(cast.coordinator)

    class Abandon(Exception):
        pass

    def assign_then_roll_back() -> None:
        try:
            with transaction.atomic():
                services.case_assign(case=case, counselor=cast.counselor, by=cast.coordinator)
                raise Abandon
        except Abandon:
            pass

    async def scenario() -> None:
        board = await open_socket("/ws/board/yorozu/", cookie)
        await database_sync_to_async(assign_then_roll_back)()
        assert await board.receive_nothing(timeout=0.5)
        await board.disconnect()

    run(scenario)
    case.refresh_from_db()
    assert case.status == "intake"


def test_a_case_that_leaves_a_members_sight_is_dropped_from_their_board_by_id_only(cast):
    case = CaseFactory(desk=desk("yorozu"), title="廃業の相談")
    cookie = session_cookie(cast.counselor)

    def put_on_exit_track() -> None:
        with transaction.atomic():
            Case.objects.filter(pk=case.pk).update(confidentiality="restricted", on_exit_track=True)
            publish_case_event(case, "exit_track")

    async def scenario() -> None:
        board = await open_socket("/ws/board/yorozu/", cookie)
        await database_sync_to_async(put_on_exit_track)()
        message = await board.receive_json_from(timeout=1)
        assert message == {"type": "case_hidden", "case": {"id": case.pk}}
        await database_sync_to_async(publish_case_event_committed)(case, "updated")
        assert await board.receive_nothing(timeout=0.3)
        await board.disconnect()

    run(scenario)


def publish_case_event_committed(case: Case, kind: str) -> None:
    with transaction.atomic():
        publish_case_event(case, kind)


def test_a_desk_board_is_only_for_its_members_managers_and_auditors(cast):
    colleague_cookie = session_cookie(cast.colleague)
    outsider_cookie = session_cookie(cast.outsider)
    auditor_cookie = session_cookie(cast.auditor)

    async def scenario() -> None:
        for cookie, path in (
            (colleague_cookie, "/ws/board/yorozu/"),
            (outsider_cookie, "/ws/board/yorozu/"),
            (auditor_cookie, "/ws/board/no-such-desk/"),
        ):
            socket = await open_socket(path, cookie)
            assert await close_code(socket) == 4404
        auditor = await open_socket("/ws/board/ip/", auditor_cookie)
        assert await auditor.receive_nothing(timeout=0.2)
        await auditor.disconnect()

    run(scenario)


def test_a_member_whose_membership_ended_gets_no_more_events(cast):
    case = CaseFactory(desk=desk("yorozu"))
    cookie = session_cookie(cast.counselor)

    def leave_the_desk() -> None:
        cast.counselor.memberships.update(active=False)

    async def scenario() -> None:
        board = await open_socket("/ws/board/yorozu/", cookie)
        await database_sync_to_async(leave_the_desk)()
        await assign(case=case, counselor=cast.coordinator, by=cast.coordinator)
        assert await close_code(board) == 4404

    run(scenario)


def test_the_sockets_of_an_event_reread_their_logins_together_and_never_the_case(cast, monkeypatch):
    """The board decides each event from the facts it carries (docs/performance.md, "The
    board socket"): the logins of every socket are re-read in a batch, no case per socket."""
    from casebook.intake.selectors import live as live_reads

    case = CaseFactory(desk=desk("yorozu"))
    cookies = [session_cookie(user) for user in (cast.counselor, cast.coordinator, cast.manager)]
    batches: list[int] = []
    read_logins = live_reads.live_viewers

    def counted(*, logins):
        batches.append(len(logins))
        return read_logins(logins=logins)

    def no_case_reads(**kwargs):
        raise AssertionError("a board socket read the case")

    monkeypatch.setattr(live_reads, "live_viewers", counted)
    monkeypatch.setattr(live_reads, "board_case_for_user", no_case_reads)

    async def scenario() -> None:
        boards = [await open_socket("/ws/board/yorozu/", cookie) for cookie in cookies * 2]
        await assign(case=case, counselor=cast.counselor, by=cast.coordinator)
        for board in boards:
            message = await board.receive_json_from(timeout=2)
            assert message["case"]["id"] == case.pk
        for board in boards:
            await board.disconnect()

    run(scenario)
    assert 1 <= len(batches) < 6
    assert sum(batches) <= 6
