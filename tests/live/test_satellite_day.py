"""The satellite day screen and the yorozu board, live: a booking made anywhere (the public
form, the counter) reaches every staff member watching that office, as ids only."""

from __future__ import annotations

import datetime as dt

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from casebook.accounts.models import DeskMembership
from casebook.satellites import services
from casebook.satellites.models import Booking
from tests.factories import ClientFactory, OfficeFactory, slot_at
from tests.live.sockets import close_code, open_socket, run, session_cookie

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

public_create = database_sync_to_async(services.booking_public_create)
staff_create = database_sync_to_async(services.booking_create)
cancel = database_sync_to_async(services.booking_cancel)


def later_today(office):
    """A slot that begins later today: halfway between now and midnight."""
    now = timezone.localtime()
    midnight = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return slot_at(office, now + (midnight - now) / 2, minutes=10)


def public_booking(slot) -> dict:
    return {
        "slot": slot,
        "company_name": "株式会社公開予約",
        "contact_name": "山田",
        "email": "yamada@example.jp",
        "privacy_consent": True,
    }


def test_a_public_booking_reaches_the_day_screen_of_its_office_only(cast):
    hitachi = OfficeFactory(code="hitachi")
    OfficeFactory(code="tsukuba")
    slot = later_today(hitachi)
    counselor, auditor = session_cookie(cast.counselor), session_cookie(cast.auditor)

    async def scenario() -> None:
        watching = await open_socket("/ws/satellites/hitachi/", counselor)
        reading = await open_socket("/ws/satellites/hitachi/", auditor)
        elsewhere = await open_socket("/ws/satellites/tsukuba/", counselor)
        booking, _token = await public_create(**public_booking(slot))
        for socket in (watching, reading):
            message = await socket.receive_json_from(timeout=1)
            assert message == {
                "type": "booking",
                "kind": "booked",
                "booking": {
                    "id": booking.pk,
                    "slot": slot.pk,
                    "status": "booked",
                    "date": timezone.localtime(slot.starts_at).date().isoformat(),
                },
            }
            assert "株式会社公開予約" not in str(message)
        assert await elsewhere.receive_nothing(timeout=0.2)
        for socket in (watching, reading, elsewhere):
            await socket.disconnect()

    run(scenario)


def test_a_cancellation_at_the_counter_is_sent_with_its_new_state(cast):
    office = OfficeFactory(code="hitachi")
    slot = later_today(office)
    booking = services.booking_create(by=cast.counselor, slot=slot, client=ClientFactory())
    cookie = session_cookie(cast.coordinator)

    async def scenario() -> None:
        socket = await open_socket("/ws/satellites/hitachi/", cookie)
        await cancel(booking=booking, by=cast.counselor, expected_version=booking.version)
        message = await socket.receive_json_from(timeout=1)
        assert message["kind"] == "cancelled"
        assert message["booking"]["status"] == "cancelled"
        await socket.disconnect()

    run(scenario)


def test_strangers_and_unknown_offices_get_no_day_socket(cast):
    OfficeFactory(code="hitachi")
    outsider = session_cookie(cast.outsider)
    counselor = session_cookie(cast.counselor)

    async def scenario() -> None:
        assert await close_code(await open_socket("/ws/satellites/hitachi/")) == 4401
        assert await close_code(await open_socket("/ws/satellites/hitachi/", outsider)) == 4404
        assert await close_code(await open_socket("/ws/satellites/nowhere/", counselor)) == 4404

    run(scenario)


def test_a_counselor_who_leaves_the_desks_is_cut_off_at_the_next_booking(cast):
    office = OfficeFactory(code="hitachi")
    slot = later_today(office)
    cookie = session_cookie(cast.counselor)

    def leave_desks() -> None:
        DeskMembership.objects.filter(user=cast.counselor).update(active=False)

    async def scenario() -> None:
        socket = await open_socket("/ws/satellites/hitachi/", cookie)
        await database_sync_to_async(leave_desks)()
        await public_create(**public_booking(slot))
        assert await close_code(socket) == 4404

    run(scenario)
    assert Booking.objects.filter(slot=slot).count() == 1


def test_the_yorozu_board_hears_of_todays_satellite_bookings_and_other_boards_do_not(cast):
    office = OfficeFactory(code="hitachi")
    today = later_today(office)
    next_week = slot_at(office, today.starts_at + dt.timedelta(days=7))
    counselor, colleague = session_cookie(cast.counselor), session_cookie(cast.colleague)

    async def scenario() -> None:
        yorozu = await open_socket("/ws/board/yorozu/", counselor)
        ip_board = await open_socket("/ws/board/ip/", colleague)
        await public_create(**public_booking(next_week))
        assert await yorozu.receive_nothing(timeout=0.2)
        await staff_create(by=cast.counselor, slot=today, client=await client())
        message = await yorozu.receive_json_from(timeout=1)
        assert message == {"type": "extra", "key": "satellite_bookings_today"}
        assert await ip_board.receive_nothing(timeout=0.2)
        await yorozu.disconnect()
        await ip_board.disconnect()

    client = database_sync_to_async(ClientFactory)
    run(scenario)
