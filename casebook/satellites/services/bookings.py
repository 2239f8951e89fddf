"""Booking satellite slots, cancelling, checking in and no-shows (docs/satellites.md).

A slot never holds two active bookings: the services lock the slot row and look, and the
database's partial unique index (`booking_one_active_per_slot`) refuses whatever a race
still lets through; both answer with the same clear message.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from casebook.accounts.models import Desk, User
from casebook.common.calendar import is_closed_day, is_public_holiday
from casebook.common.errors import ConflictError
from casebook.common.models import ensure_version, raise_if_errors, save_tracked
from casebook.intake import policy as case_policy
from casebook.intake.models import Case, Client, IntakeChannel, SessionMode
from casebook.intake.services import case_open, client_create, session_log
from casebook.satellites import policy
from casebook.satellites.events import SATELLITE_DESK, publish_booking_event
from casebook.satellites.models import (
    ACTIVE_BOOKING_STATUSES,
    Booking,
    BookingChannel,
    BookingStatus,
    DayStatus,
    Slot,
)
from casebook.satellites.services.mail import booking_confirmation

CANCEL_SALT = "casebook.satellites.cancel"


class SlotTaken(ConflictError):
    code = "slot_taken"

    def __init__(self) -> None:
        super().__init__(_("this slot has just been booked by someone else; choose another slot"))


def _lock_slot(slot: Slot | int) -> Slot:
    pk = slot.pk if isinstance(slot, Slot) else slot
    return (
        Slot.objects.select_for_update(no_key=True, of=("self",))
        .select_related("day", "office", "counselor")
        .get(pk=pk)
    )


def _check_bookable(slot: Slot) -> None:
    """A clear refusal for a slot that cannot be booked, before anything is saved."""
    local_day = timezone.localtime(slot.starts_at).date()
    if slot.starts_at <= timezone.now():
        raise ValidationError(
            {"slot": ValidationError(_("this slot has already begun"), code="past")}
        )
    if (
        slot.day.status != DayStatus.HELD
        or is_closed_day(local_day)
        or (slot.day.rule_id is not None and is_public_holiday(local_day))
    ):
        raise ValidationError(
            {"slot": ValidationError(_("the office is closed on this day"), code="closed_day")}
        )
    if Booking.objects.filter(slot=slot, status__in=ACTIVE_BOOKING_STATUSES).exists():
        raise SlotTaken()


def _save_new_booking(booking: Booking, *, by: User | None) -> None:
    try:
        with transaction.atomic():
            save_tracked(booking, by=by)
    except IntegrityError as error:
        if "booking_one_active_per_slot" in str(error):
            raise SlotTaken() from None
        raise
    except ValidationError as error:
        # full_clean checks the conditional unique constraint too: the same refusal.
        if any(e.code == "slot_taken" for e in getattr(error, "error_dict", {}).get("__all__", [])):
            raise SlotTaken() from None
        raise


def _lock_booking(booking: Booking | int) -> Booking:
    pk = booking.pk if isinstance(booking, Booking) else booking
    return (
        Booking.objects.select_for_update(no_key=True, of=("self",))
        .select_related("slot__office", "slot__day", "slot__counselor", "client", "case")
        .get(pk=pk)
    )


def _client_for(
    *,
    by: User,
    client: Client | None,
    new_client: dict[str, Any] | None,
    case: Case | None,
    allow_duplicate: bool,
) -> Client:
    """The client a booking is for: the one given, or one registered from `new_client` as at
    intake (same checks); a case named must be one of the client's that `by` may see."""
    errors: dict[str, list[ValidationError]] = {}
    if client is None and not new_client:
        errors["client"] = [ValidationError(_("choose or register the client"), code="required")]
    if case is not None and (
        not case_policy.can_see_case(by, case)
        or (client is not None and case.client_id != client.pk)
    ):
        errors["case"] = [
            ValidationError(_("the case must be one of the client's cases"), code="other_client")
        ]
    raise_if_errors(errors)
    if client is None:
        client = client_create(by=by, allow_duplicate=allow_duplicate, **(new_client or {}))
    return client


@transaction.atomic
def booking_create(
    *,
    by: User,
    slot: Slot | int,
    client: Client | None = None,
    new_client: dict[str, Any] | None = None,
    case: Case | None = None,
    topic: str = "",
    contact_name: str = "",
    phone: str = "",
    email: str = "",
    allow_duplicate: bool = False,
) -> Booking:
    """Book `slot` for a client found at the counter or registered from `new_client` (the
    intake's client service), optionally for one of the client's cases the user may see."""
    policy.require(by, policy.BOOK)
    slot = _lock_slot(slot)
    _check_bookable(slot)
    client = _client_for(
        by=by, client=client, new_client=new_client, case=case, allow_duplicate=allow_duplicate
    )
    booking = Booking(
        slot=slot,
        channel=BookingChannel.STAFF,
        client=client,
        case=case,
        company_name=client.name,
        contact_name=contact_name.strip(),
        phone=phone.strip() or client.phone,
        email=email.strip(),
        topic=topic.strip(),
        created_by=by,
    )
    _save_new_booking(booking, by=by)
    publish_booking_event(booking, "booked")
    return booking


@transaction.atomic
def booking_public_create(
    *,
    slot: Slot | int,
    company_name: str,
    contact_name: str,
    email: str,
    phone: str = "",
    topic: str = "",
    privacy_consent: bool,
) -> tuple[Booking, str]:
    """A booking from the public form (no login); returns it with its cancellation token."""
    errors: dict[str, list[ValidationError]] = {}
    if not privacy_consent:
        errors["privacy_consent"] = [
            ValidationError(
                _("please agree to the privacy notice to book"), code="consent_required"
            )
        ]
    if not company_name.strip():
        errors["company_name"] = [ValidationError(_("give the company name"), code="required")]
    if not contact_name.strip():
        errors["contact_name"] = [ValidationError(_("give a contact person"), code="required")]
    if not email.strip():
        errors["email"] = [ValidationError(_("give an e-mail address"), code="required")]
    raise_if_errors(errors)
    slot = _lock_slot(slot)
    _check_bookable(slot)
    booking = Booking(
        slot=slot,
        channel=BookingChannel.PUBLIC,
        company_name=company_name.strip(),
        contact_name=contact_name.strip(),
        email=email.strip(),
        phone=phone.strip(),
        topic=topic.strip(),
        privacy_consent_at=timezone.now(),
        cancel_secret=secrets.token_urlsafe(24),
    )
    _save_new_booking(booking, by=None)
    token = cancel_token(booking)
    message = booking_confirmation(booking, token)
    publish_booking_event(booking, "booked")
    # robust: the booking stands even when the mail server is down (staff see it on the day
    # screen and the client can still call).
    transaction.on_commit(message.send, robust=True)
    return booking, token


def cancel_token(booking: Booking) -> str:
    return signing.dumps([booking.pk, booking.cancel_secret], salt=CANCEL_SALT, compress=True)


def _stale_link() -> ConflictError:
    return ConflictError(
        _("this cancellation link is no longer valid; the booking may already be cancelled"),
        code="stale_token",
    )


@transaction.atomic
def booking_cancel_by_token(*, token: str) -> Booking:
    """Cancel a public booking with the link from its confirmation; the slot is free again."""
    try:
        pk, secret = signing.loads(token, salt=CANCEL_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise _stale_link() from None
    try:
        booking = _lock_booking(int(pk))
    except (Booking.DoesNotExist, ValueError, TypeError):
        raise _stale_link() from None
    if (
        not booking.cancel_secret
        or not constant_time_compare(str(secret), booking.cancel_secret)
        or booking.status != BookingStatus.BOOKED
        or booking.slot.starts_at <= timezone.now()
    ):
        raise _stale_link()
    booking.status = BookingStatus.CANCELLED
    booking.cancel_reason = _("cancelled by the client")
    booking.cancel_secret = ""
    save_tracked(
        booking,
        by=None,
        update_fields=["status", "cancel_reason", "cancel_secret"],
        reason="cancelled by the client",
    )
    publish_booking_event(booking, "cancelled")
    return booking


@transaction.atomic
def booking_cancel(
    *, booking: Booking, by: User, expected_version: int | None, reason: str = ""
) -> Booking:
    policy.require(by, policy.BOOK)
    booking = _lock_booking(booking)
    ensure_version(booking, expected_version)
    target = policy.ensure_transition(booking, "cancel")
    booking.status = target
    booking.cancel_reason = reason.strip()[:200]
    booking.cancel_secret = ""
    save_tracked(
        booking,
        by=by,
        update_fields=["status", "cancel_reason", "cancel_secret"],
        reason=reason or "cancelled",
    )
    publish_booking_event(booking, "cancelled")
    return booking


@transaction.atomic
def booking_no_show(*, booking: Booking, by: User, expected_version: int | None) -> Booking:
    policy.require(by, policy.BOOK)
    booking = _lock_booking(booking)
    ensure_version(booking, expected_version)
    target = policy.ensure_transition(booking, "no_show")
    if booking.slot.starts_at > timezone.now():
        raise ConflictError(_("a no-show is recorded once the slot has begun"), code="not_started")
    booking.status = target
    save_tracked(booking, by=by, update_fields=["status"], reason="no-show")
    publish_booking_event(booking, "no_show")
    return booking


def _satellite_desk() -> Desk:
    return Desk.objects.get(code=SATELLITE_DESK)


@transaction.atomic
def booking_check_in(
    *,
    booking: Booking,
    by: User,
    expected_version: int | None,
    client: Client | None = None,
    new_client: dict[str, Any] | None = None,
    case: Case | None = None,
    summary: str = "",
    allow_duplicate: bool = False,
) -> Booking:
    """The client came: log the session (mode `in_person_satellite`, the office named) on the
    booking's case, the `case` given, or a new case at the yorozu desk led by the slot's
    counselor. A public booking names its client here (found or registered)."""
    policy.require(by, policy.BOOK)
    booking = _lock_booking(booking)
    ensure_version(booking, expected_version)
    target = policy.ensure_transition(booking, "check_in")
    slot = booking.slot
    now = timezone.now()
    if timezone.localtime(slot.starts_at).date() != timezone.localdate(now):
        raise ConflictError(_("a booking is checked in on its day"), code="not_today")
    case = case or booking.case
    client = _client_for(
        by=by,
        client=client or booking.client,
        new_client=new_client,
        case=case,
        allow_duplicate=allow_duplicate,
    )
    lead = slot.counselor or by
    if case is None:
        case = case_open(
            desk=_satellite_desk(),
            client=client,
            title=(booking.topic or _("consultation at %(office)s") % {"office": slot.office})[
                :200
            ],
            intake_channel=IntakeChannel.SATELLITE,
            intake_office=slot.office,
            by=by,
            lead_counselor=lead,
        )
    started_at = min(slot.starts_at, now)
    minutes = max(1, int((slot.ends_at - slot.starts_at) / dt.timedelta(minutes=1)))
    session = session_log(
        case=case,
        by=by,
        started_at=started_at,
        duration_minutes=minutes,
        mode=SessionMode.IN_PERSON_SATELLITE,
        office=slot.office,
        counselors=[lead],
        summary=summary.strip() or booking.topic or _("consultation at the satellite office"),
    )
    booking.status = target
    booking.client = client
    booking.case = case
    booking.session = session
    booking.cancel_secret = ""
    save_tracked(
        booking,
        by=by,
        update_fields=["status", "client", "case", "session", "cancel_secret"],
        reason="checked in",
    )
    publish_booking_event(booking, "checked_in")
    return booking
