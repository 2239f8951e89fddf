"""Demo bookings of the satellites' consultation days (seeded after intake's cases):

- past days: about half the slots were booked; most of those clients came (the check-in's
  session is logged through intake's session service on one of the office's open yorozu
  cases, as of the slot's time), some did not (no-show), a few cancelled;
- days ahead: about a third of the slots are booked, some from the public form.

Each slot's fate is drawn from its own seed (office and start), and only slots that hold no
booking at all are considered, so a second run adds nothing. Bookings are written in bulk
with their history rows; only check-ins pass through the session service.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections import defaultdict

from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from casebook.common.demo import DemoContext
from casebook.intake.models import Case, Client, SessionMode
from casebook.intake.models.cases import SESSION_STATUSES
from casebook.intake.services import session_log
from casebook.intake.services.sessions import one_year_before
from casebook.satellites.demo import SATELLITES
from casebook.satellites.events import SATELLITE_DESK
from casebook.satellites.models import Booking, BookingChannel, BookingStatus, DayStatus, Slot

PAST_FILL = 0.5
AHEAD_FILL = 0.35
PUBLIC_SHARE = 0.25
NO_SHOW_SHARE = 0.1
CANCELLED_SHARE = 0.08
TOPICS = (
    "資金繰りの相談",
    "販路開拓について",
    "事業承継の進め方",
    "補助金申請の相談",
    "新商品の価格設定",
    "ホームページ活用",
    "人材採用について",
    "創業計画の確認",
)


def _fate(slot: Slot, code: str) -> random.Random:
    return random.Random(f"casebook-demo-booking-{code}-{slot.starts_at.isoformat()}")


def seed(ctx: DemoContext) -> None:
    now = timezone.now()
    offices = {spec.code: ctx.offices[spec.code] for spec in SATELLITES if spec.code in ctx.offices}
    code_of = {office.pk: code for code, office in offices.items()}
    # A check-in's session is logged at most a year back (intake's session rule).
    oldest = one_year_before(now) + dt.timedelta(days=1)
    slots = list(
        Slot.objects.filter(
            office__in=offices.values(), day__status=DayStatus.HELD, starts_at__gte=oldest
        )
        .filter(bookings__isnull=True)
        .select_related("counselor")
        .order_by("starts_at")
    )
    cases = defaultdict(list)
    for case in (
        Case.objects.filter(
            desk__code=SATELLITE_DESK,
            intake_office__in=offices.values(),
            status__in=SESSION_STATUSES,
            client__isnull=False,
            lead_counselor__isnull=False,
        )
        .select_related("client", "lead_counselor", "desk")
        .order_by("pk")
    ):
        cases[case.intake_office_id].append(case)
    clients = list(Client.objects.order_by("pk")[:200])
    admin = ctx.users.get("admin")
    bookings: list[Booking] = []
    checked_in = 0
    for slot in slots:
        code = code_of[slot.office_id]
        fate = _fate(slot, code)
        past = slot.starts_at <= now
        if fate.random() >= (PAST_FILL if past else AHEAD_FILL):
            continue
        booking = Booking(
            slot=slot,
            status=BookingStatus.BOOKED,
            topic=fate.choice(TOPICS),
            created_by=admin,
        )
        if fate.random() < PUBLIC_SHARE or not clients:
            booking.channel = BookingChannel.PUBLIC
            booking.created_by = None
            booking.company_name = ctx.faker.company()
            booking.contact_name = ctx.faker.name()
            booking.email = ctx.faker.company_email()
            booking.privacy_consent_at = slot.starts_at - dt.timedelta(days=fate.randint(2, 20))
            booking.cancel_secret = secrets.token_urlsafe(24)
        else:
            client = fate.choice(clients)
            booking.channel = BookingChannel.STAFF
            booking.client = client
            booking.company_name = client.name
            booking.phone = client.phone
        if past:
            outcome = fate.random()
            open_cases = [c for c in cases[slot.office_id] if c.opened_at < slot.starts_at]
            if outcome < CANCELLED_SHARE:
                booking.status = BookingStatus.CANCELLED
                booking.cancel_reason = "日程の都合"
            elif outcome < CANCELLED_SHARE + NO_SHOW_SHARE:
                booking.status = BookingStatus.NO_SHOW
            elif not open_cases:
                continue  # no case of the office to hold the session yet: the slot stays free
            else:
                case = fate.choice(open_cases)
                lead = case.lead_counselor
                minutes = int((slot.ends_at - slot.starts_at) / dt.timedelta(minutes=1))
                booking.session = session_log(
                    case=case,
                    by=lead,
                    started_at=slot.starts_at,
                    duration_minutes=minutes,
                    mode=SessionMode.IN_PERSON_SATELLITE,
                    office=offices[code],
                    counselors=[lead],
                    summary=booking.topic,
                    client_attendees="代表者",
                )
                booking.status = BookingStatus.CHECKED_IN
                booking.case = case
                booking.client = case.client
                booking.company_name = case.client.name
                checked_in += 1
            booking.cancel_secret = ""
        bookings.append(booking)
    bulk_create_with_history(
        bookings, Booking, batch_size=500, default_user=admin, default_change_reason="demo data"
    )
    by_status = defaultdict(int)
    for booking in bookings:
        by_status[booking.status] += 1
    ctx.log(
        f"satellite bookings: {len(bookings)} created ("
        + ", ".join(f"{status} {n}" for status, n in sorted(by_status.items()))
        + f"); {checked_in} check-ins logged their session"
    )
