from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from casebook.common.errors import ConflictError
from casebook.satellites import services
from casebook.satellites.models import Booking
from tests.factories import SlotFactory

FORM = {
    "company_name": "株式会社つくば工房",
    "contact_name": "鈴木 花子",
    "email": "suzuki@example.jp",
    "phone": "029-000-0000",
    "topic": "販路開拓の相談",
}


def public_book(slot, **changes):
    fields = {**FORM, "privacy_consent": True, **changes}
    return services.booking_public_create(slot=slot, **fields)


def test_a_public_booking_keeps_the_consent_time_and_no_client_yet(db):
    booking, token = public_book(SlotFactory())

    assert booking.channel == "public" and booking.client is None
    assert booking.privacy_consent_at is not None
    assert token and booking.cancel_secret not in token


def test_a_booking_without_consent_is_refused_and_nothing_is_saved(db):
    with pytest.raises(ValidationError) as refused:
        public_book(SlotFactory(), privacy_consent=False, company_name=" ")

    assert set(refused.value.error_dict) == {"privacy_consent", "company_name"}
    assert not Booking.objects.exists()


def test_the_cancellation_link_cancels_once_and_frees_the_slot(db):
    slot = SlotFactory()
    booking, token = public_book(slot)

    cancelled = services.booking_cancel_by_token(token=token)

    assert cancelled.pk == booking.pk and cancelled.status == "cancelled"
    with pytest.raises(ConflictError, match="キャンセル用リンクは使えません"):
        services.booking_cancel_by_token(token=token)
    again, _ = public_book(slot)
    assert again.status == "booked"


def test_a_tampered_or_foreign_token_cancels_nothing(db):
    _, token = public_book(SlotFactory())
    other, _ = public_book(SlotFactory())
    forged = services.cancel_token(Booking(pk=other.pk, cancel_secret="guess"))

    for bad in (token[:-2] + "xx", forged, "not-a-token"):
        with pytest.raises(ConflictError) as refused:
            services.booking_cancel_by_token(token=bad)
        assert refused.value.code == "stale_token"
    assert set(Booking.objects.values_list("status", flat=True)) == {"booked"}
