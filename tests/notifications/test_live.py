"""The unread count follows live events on `ws/notifications/` (channels communicator)."""

from __future__ import annotations

import datetime as dt

import pytest
from channels.db import database_sync_to_async

from casebook.intake import services as case_services
from casebook.notifications import services
from casebook.notifications.models import Notification
from tests.factories import CaseFactory, SessionFactory, desk
from tests.live.sockets import open_socket, run, session_cookie

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

assign = database_sync_to_async(case_services.case_assign)


def test_the_unread_count_follows_a_new_notification_and_a_read_elsewhere(cast):
    case = CaseFactory(desk=desk("yorozu"), title="資金繰りの相談")
    cookie = session_cookie(cast.counselor)

    def read_all() -> int:
        return services.notifications_mark_all_read(user=cast.counselor)

    async def scenario() -> None:
        socket = await open_socket("/ws/notifications/", cookie)
        await assign(case=case, counselor=cast.counselor, by=cast.coordinator)
        created = await socket.receive_json_from(timeout=2)
        assert created["type"] == "notification"
        assert created["unread"] == 1
        assert created["kind"] == "assigned"
        stored = await database_sync_to_async(Notification.objects.get)()
        assert created["id"] == stored.pk
        assert created["url"] == f"/notifications/{stored.pk}/"
        assert case.number in created["text"]
        await database_sync_to_async(read_all)()
        cleared = await socket.receive_json_from(timeout=2)
        assert cleared == {"type": "unread", "unread": 0}
        await socket.disconnect()

    run(scenario)


def test_a_reminder_reaches_the_open_socket_with_the_count(cast):
    case = CaseFactory(desk=desk("yorozu"), status="active", lead_counselor=cast.counselor)
    SessionFactory(case=case, follow_up_on=dt.date(2026, 6, 10))
    cookie = session_cookie(cast.counselor)

    async def scenario() -> None:
        socket = await open_socket("/ws/notifications/", cookie)
        await database_sync_to_async(services.reminders_run)(today=dt.date(2026, 6, 10))
        message = await socket.receive_json_from(timeout=2)
        assert (message["kind"], message["unread"]) == ("follow_up_due", 1)
        assert message["case"]["id"] == case.pk
        await socket.disconnect()

    run(scenario)


def test_a_notification_that_went_out_of_sight_before_delivery_is_not_sent(cast):
    case = CaseFactory(desk=desk("yorozu"), title="廃業の相談")
    cookie = session_cookie(cast.counselor)

    def assign_then_restrict() -> None:
        from django.db import transaction

        with transaction.atomic():
            case_services.case_assign(case=case, counselor=cast.counselor, by=cast.coordinator)
            type(case).objects.filter(pk=case.pk).update(
                confidentiality="restricted", on_exit_track=True, lead_counselor=cast.exit_team
            )

    async def scenario() -> None:
        socket = await open_socket("/ws/notifications/", cookie)
        await database_sync_to_async(assign_then_restrict)()
        assert await socket.receive_nothing(timeout=0.4)
        await socket.disconnect()

    run(scenario)
