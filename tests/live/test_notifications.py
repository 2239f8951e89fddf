"""The personal notifications socket: events addressed to one user reach that user only."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from casebook.intake import services
from casebook.intake.events import publish_case_event
from tests.factories import CaseFactory, desk
from tests.live.sockets import open_socket, run, session_cookie

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

assign = database_sync_to_async(services.case_assign)


def test_the_assignee_is_notified_of_an_assignment_and_nobody_else(cast):
    case = CaseFactory(desk=desk("yorozu"), title="資金繰りの相談")
    cookies = {
        user.username: session_cookie(user)
        for user in (cast.counselor, cast.coordinator, cast.manager, cast.colleague)
    }

    async def scenario() -> None:
        sockets = {name: await open_socket("/ws/notifications/", c) for name, c in cookies.items()}
        await assign(case=case, counselor=cast.counselor, by=cast.coordinator)
        message = await sockets["counselor"].receive_json_from(timeout=1)
        assert message["type"] == "notification"
        assert message["kind"] == "assigned"
        assert message["case"]["id"] == case.pk
        assert case.number in message["text"]
        for name in ("coordinator", "manager", "colleague"):
            assert await sockets[name].receive_nothing(timeout=0.2), name
        for socket in sockets.values():
            await socket.disconnect()

    run(scenario)


def test_a_lead_who_is_replaced_hears_that_the_case_was_handed_on(cast):
    case = CaseFactory(desk=desk("yorozu"))
    services.case_assign(case=case, counselor=cast.counselor, by=cast.coordinator)
    counselor_cookie = session_cookie(cast.counselor)
    coordinator_cookie = session_cookie(cast.coordinator)

    async def scenario() -> None:
        former = await open_socket("/ws/notifications/", counselor_cookie)
        new = await open_socket("/ws/notifications/", coordinator_cookie)
        await assign(case=case, counselor=cast.coordinator, by=cast.coordinator)
        to_former = await former.receive_json_from(timeout=1)
        to_new = await new.receive_json_from(timeout=1)
        assert to_former["case"]["lead_counselor"] == cast.coordinator.pk
        assert to_new["case"]["lead_counselor"] == cast.coordinator.pk
        assert to_former["text"] != to_new["text"]
        await former.disconnect()
        await new.disconnect()

    run(scenario)


def test_a_notification_speaks_the_language_the_user_chose(cast):
    case = CaseFactory(desk=desk("yorozu"))
    cookie = session_cookie(cast.counselor)

    async def scenario() -> None:
        socket = await open_socket("/ws/notifications/", cookie, extra_cookies="django_language=en")
        await assign(case=case, counselor=cast.counselor, by=cast.coordinator)
        message = await socket.receive_json_from(timeout=1)
        assert message["text"] == f"{case.number} {case.title}: you are now the lead counselor"
        await socket.disconnect()

    run(scenario)


def test_a_notification_about_a_case_the_user_may_not_see_is_never_delivered(cast):
    restricted = CaseFactory(desk=desk("yorozu"), confidentiality="restricted", on_exit_track=True)
    other_desk = CaseFactory(desk=desk("yorozu"))
    counselor_cookie = session_cookie(cast.counselor)
    colleague_cookie = session_cookie(cast.colleague)

    def notify(case, user_ids: set[int]) -> None:
        with transaction.atomic():
            publish_case_event(case, "updated", notify_user_ids=user_ids)

    async def scenario() -> None:
        counselor = await open_socket("/ws/notifications/", counselor_cookie)
        colleague = await open_socket("/ws/notifications/", colleague_cookie)
        await database_sync_to_async(notify)(restricted, {cast.counselor.pk})
        await database_sync_to_async(notify)(other_desk, {cast.colleague.pk})
        assert await counselor.receive_nothing(timeout=0.3)
        assert await colleague.receive_nothing(timeout=0.3)
        await database_sync_to_async(notify)(other_desk, {cast.counselor.pk})
        message = await counselor.receive_json_from(timeout=1)
        assert message["case"]["id"] == other_desk.pk
        await counselor.disconnect()
        await colleague.disconnect()

    run(scenario)


def test_a_notification_names_what_happened_to_the_case(cast):
    case = CaseFactory(desk=desk("yorozu"), title="商標出願の相談")
    cookie = session_cookie(cast.counselor)

    def notify() -> None:
        with transaction.atomic():
            publish_case_event(case, "referral_declined", notify_user_ids={cast.counselor.pk})

    async def scenario() -> None:
        socket = await open_socket("/ws/notifications/", cookie, extra_cookies="django_language=en")
        await database_sync_to_async(notify)()
        message = await socket.receive_json_from(timeout=1)
        assert message["kind"] == "referral_declined"
        assert message["text"] == f"{case.number} 商標出願の相談: referral declined"
        assert message["case"]["url"] == f"/cases/{case.pk}/"
        await socket.disconnect()

    run(scenario)
