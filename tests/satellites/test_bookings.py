from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from casebook.common.errors import ActionNotPermitted, ConflictError, TransitionNotAllowed
from casebook.intake.models import Case, ConsultationSession
from casebook.satellites import services
from casebook.satellites.models import Booking, DayStatus
from tests.factories import (
    BookingFactory,
    ClientFactory,
    OfficeFactory,
    SlotFactory,
    case_in_state,
    slot_at,
)


@pytest.fixture
def office(db):
    return OfficeFactory(code="hitachi", name="日立サテライト")


@pytest.fixture
def slot(office, cast):
    return SlotFactory(office=office, counselor=cast.counselor)


@pytest.fixture
def started_slot(office, cast):
    """A slot of today that has begun (check-ins and no-shows happen then)."""
    now = timezone.localtime()
    return slot_at(office, now.replace(minute=0, second=0, microsecond=0), counselor=cast.counselor)


def booked_earlier(slot, **fields):
    """A booking made before its slot began (the services refuse to book a slot that has)."""
    fields.setdefault("client", ClientFactory())
    return BookingFactory(slot=slot, company_name=fields["client"].name, **fields)


def book(slot, by, **kwargs):
    kwargs.setdefault("client", ClientFactory())
    return services.booking_create(by=by, slot=slot, **kwargs)


def test_staff_book_a_slot_for_a_client(cast, slot):
    client = ClientFactory(name="株式会社日立精工")

    booking = book(slot, cast.counselor, client=client, topic="補助金の申請")

    assert booking.status == "booked" and booking.channel == "staff"
    assert booking.client == client and booking.company_name == "株式会社日立精工"
    assert booking.history.count() == 1


def test_staff_register_a_new_client_with_the_booking(cast, slot):
    booking = services.booking_create(
        by=cast.counselor, slot=slot, new_client={"kind": "company", "name": "株式会社新規"}
    )

    assert booking.client.name == "株式会社新規"


def test_a_booked_slot_refuses_a_second_booking_with_a_clear_message(cast, slot):
    book(slot, cast.counselor)

    with pytest.raises(ConflictError, match="埋まりました") as refused:
        book(slot, cast.coordinator)

    assert refused.value.code == "slot_taken"
    assert Booking.objects.filter(slot=slot).count() == 1


def test_a_cancelled_booking_frees_its_slot(cast, slot):
    first = book(slot, cast.counselor)
    services.booking_cancel(booking=first, by=cast.counselor, expected_version=1, reason="延期")

    second = book(slot, cast.counselor)

    assert second.status == "booked"
    first.refresh_from_db()
    assert first.status == "cancelled" and first.cancel_reason == "延期"


def test_a_past_slot_is_not_booked(cast, office):
    slot = slot_at(office, timezone.now() - dt.timedelta(hours=2))

    with pytest.raises(ValidationError) as refused:
        book(slot, cast.counselor)

    assert refused.value.error_dict["slot"][0].code == "past"
    assert not Booking.objects.exists()


def test_a_slot_on_a_cancelled_day_is_not_booked(cast, slot):
    slot.day.status = DayStatus.CANCELLED
    slot.day.save(update_fields=["status"])

    with pytest.raises(ValidationError) as refused:
        book(slot, cast.counselor)

    assert refused.value.error_dict["slot"][0].code == "closed_day"


def test_a_slot_on_a_closed_day_is_not_booked(cast, office, settings):
    when = timezone.localtime() + dt.timedelta(days=3)
    settings.CASEBOOK_CLOSED_DAYS = [when.date().isoformat()]
    slot = slot_at(office, when)

    with pytest.raises(ValidationError) as refused:
        book(slot, cast.counselor)

    assert refused.value.error_dict["slot"][0].code == "closed_day"


def test_a_booking_names_a_case_of_its_client_only(cast, slot):
    other_case = case_in_state("active", lead=cast.counselor, by=cast.coordinator)

    with pytest.raises(ValidationError) as refused:
        book(slot, cast.counselor, case=other_case)

    assert "case" in refused.value.error_dict
    assert not Booking.objects.exists()


def test_a_login_without_a_desk_cannot_book(cast, slot):
    with pytest.raises(ActionNotPermitted):
        book(slot, cast.outsider)


def test_check_in_logs_exactly_one_session_on_a_new_case(cast, started_slot):
    booking = booked_earlier(started_slot, topic="事業承継の相談")

    booking = services.booking_check_in(booking=booking, by=cast.counselor, expected_version=1)

    assert booking.status == "checked_in"
    session = ConsultationSession.objects.get()
    assert booking.session == session
    assert session.mode == "in_person_satellite" and session.office == started_slot.office
    assert session.duration_minutes == 60
    assert list(session.counselors.all()) == [cast.counselor]
    case = session.case
    assert booking.case == case and case.client == booking.client
    assert case.desk.code == "yorozu" and case.intake_channel == "satellite"
    assert case.intake_office == started_slot.office
    assert case.lead_counselor == cast.counselor and case.status == "active"
    with pytest.raises(TransitionNotAllowed):
        services.booking_check_in(booking=booking, by=cast.counselor, expected_version=None)
    assert ConsultationSession.objects.count() == 1


def test_check_in_logs_the_session_on_the_linked_case(cast, started_slot):
    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    booking = booked_earlier(started_slot, client=case.client, case=case)

    services.booking_check_in(booking=booking, by=cast.counselor, expected_version=1)

    assert Case.objects.count() == 1
    assert case.sessions.filter(mode="in_person_satellite").count() == 1


def test_a_public_booking_names_its_client_at_check_in(cast, started_slot):
    booking = BookingFactory(slot=started_slot, channel="public", company_name="有限会社ウェブ")

    with pytest.raises(ValidationError) as refused:
        services.booking_check_in(booking=booking, by=cast.counselor, expected_version=1)
    assert "client" in refused.value.error_dict
    assert not ConsultationSession.objects.exists()

    booking = services.booking_check_in(
        booking=booking,
        by=cast.counselor,
        expected_version=1,
        new_client={"kind": "company", "name": "有限会社ウェブ"},
    )
    assert booking.client.name == "有限会社ウェブ" and booking.session is not None


def test_a_booking_of_another_day_is_not_checked_in(cast, slot):
    booking = book(slot, cast.counselor)

    with pytest.raises(ConflictError) as refused:
        services.booking_check_in(booking=booking, by=cast.counselor, expected_version=1)
    assert refused.value.code == "not_today"


def test_a_no_show_is_recorded_once_the_slot_has_begun(cast, slot, started_slot):
    early = book(slot, cast.counselor)
    with pytest.raises(ConflictError) as refused:
        services.booking_no_show(booking=early, by=cast.counselor, expected_version=1)
    assert refused.value.code == "not_started"

    booking = services.booking_no_show(
        booking=booked_earlier(started_slot), by=cast.counselor, expected_version=1
    )

    assert booking.status == "no_show" and booking.version == 2
    with pytest.raises(TransitionNotAllowed):
        services.booking_cancel(booking=booking, by=cast.counselor, expected_version=None)
