from __future__ import annotations

import pytest

from casebook.satellites import services
from casebook.satellites.models import Booking
from casebook.satellites.services import SlotTaken
from tests.concurrency import run_together
from tests.factories import ClientFactory, SlotFactory
from tests.markers import needs_postgres


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_bookings_of_one_slot_at_once_book_it_once(cast):
    slot = SlotFactory()
    clients = [ClientFactory() for _ in range(20)]

    results, errors = run_together(
        [
            lambda client=client: services.booking_create(
                by=cast.counselor, slot=slot.pk, client=client
            )
            for client in clients
        ]
    )

    assert len(results) == 1
    assert len(errors) == 19 and all(isinstance(e, SlotTaken) for e in errors), errors
    assert all("別の枠を選んでください" in e.message for e in errors)
    assert Booking.objects.filter(slot=slot).count() == 1


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_database_refuses_a_second_active_booking_without_the_lock(cast):
    """The partial unique index holds even for a writer that skips the service's lock."""
    slot = SlotFactory()
    services.booking_create(by=cast.counselor, slot=slot, client=ClientFactory())

    with pytest.raises(Exception, match="booking_one_active_per_slot"):
        Booking.objects.create(slot=slot, channel="staff", company_name="割り込み")
