"""The retention run (docs/security.md, "Retention"): clients with no activity for N years
lose their personal data, every report's totals stay the same, held clients are left alone."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from casebook.attachments.models import Attachment
from casebook.intake.models import Case, Client, ClientContact, ConsultationSession
from casebook.reports.selectors import ReportFilters, case_report, consultation_report
from casebook.satellites.models import Booking
from tests.factories import BookingFactory, CaseFactory, ClientFactory, SessionFactory, desk

pytestmark = pytest.mark.django_db

LONG_AGO = timezone.make_aware(dt.datetime(2018, 6, 1, 10, 0))
FISCAL_YEAR = 2018


def _old_client(cast, name: str, **case_kwargs) -> Client:
    client = ClientFactory(name=name, email=f"{name}@example.jp", phone="029-111-2222")
    Client.objects.filter(pk=client.pk).update(created_at=LONG_AGO)
    ClientContact.objects.create(client=client, name=f"{name} 担当", phone="029-333-4444")
    fields = {
        "status": "closed",
        "closed_at": LONG_AGO + dt.timedelta(days=30),
        "closure_reason": "resolved",
        "closure_summary": f"{name} の資金繰りは解決",
        **case_kwargs,
    }
    case = CaseFactory(
        desk=desk("yorozu"),
        client=client,
        lead_counselor=cast.counselor,
        opened_at=LONG_AGO,
        title=f"{name} の資金繰り",
        **fields,
    )
    SessionFactory(
        case=case, started_at=LONG_AGO, summary=f"{name} 社長と面談", client_attendees="社長"
    )
    return client


def _reports(cast) -> tuple[dict, dict]:
    filters = ReportFilters(fiscal_year=FISCAL_YEAR)
    return (
        consultation_report(user=cast.manager, filters=filters).as_dict(),
        case_report(user=cast.manager, filters=filters).as_dict(),
    )


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("retention", *args, stdout=out)
    return out.getvalue()


def test_a_client_without_activity_loses_its_personal_data_and_the_reports_stay_the_same(cast):
    client = _old_client(cast, "株式会社古川")
    before = _reports(cast)

    output = _run("--years", "5")

    client.refresh_from_db()
    assert client.name == f"(匿名化済み) #{client.pk}" and client.anonymised_at is not None
    assert (client.email, client.phone, client.address, client.name_kana) == ("", "", "", "")
    assert not ClientContact.objects.filter(client=client).exists()
    case = Case.objects.get(client=client)
    session = ConsultationSession.objects.get(case=case)
    assert "古川" not in case.title + case.closure_summary + session.summary
    assert session.client_attendees == ""
    assert _reports(cast) == before
    assert "[1/1] client" in output and "anonymised 1 client(s)" in output


def test_each_changed_object_keeps_one_history_row_and_none_with_the_old_values(cast):
    client = _old_client(cast, "株式会社古川")
    case = Case.objects.get(client=client)
    _run("--years", "5")
    for obj in (client, case, ConsultationSession.objects.get(case=case)):
        rows = list(type(obj).history.filter(id=obj.pk))
        assert len(rows) == 1 and rows[0].history_change_reason.startswith("retention")
    names = Client.history.values_list("name", flat=True)
    assert not any("古川" in name for name in names)


def test_held_clients_are_left_as_they_are(cast):
    open_case = _old_client(cast, "株式会社継続", status="active", closed_at=None)
    exit_track = _old_client(cast, "株式会社撤退", on_exit_track=True)
    recent = _old_client(cast, "株式会社最近")
    SessionFactory(case=Case.objects.get(client=recent), started_at=timezone.now())
    output = _run("--years", "5")
    for client in (open_case, exit_track, recent):
        client.refresh_from_db()
        assert client.anonymised_at is None and "株式会社" in client.name
    assert "0 client(s) without activity" in output


def test_a_dry_run_lists_the_clients_due_and_changes_nothing(cast):
    client = _old_client(cast, "株式会社古川")
    output = _run("--years", "5", "--dry-run")
    assert f"would anonymise client #{client.pk}" in output
    client.refresh_from_db()
    assert client.name == "株式会社古川" and client.anonymised_at is None


def test_the_period_is_configurable_and_a_longer_one_keeps_the_client(cast, settings):
    client = _old_client(cast, "株式会社古川")
    settings.CASEBOOK_RETENTION_YEARS = 20
    assert "0 client(s)" in _run()
    client.refresh_from_db()
    assert client.anonymised_at is None


def test_bookings_lose_their_names_and_attachments_their_files(
    cast, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.CASEBOOK_ATTACHMENTS_DIR = str(tmp_path)
    client = _old_client(cast, "株式会社古川")
    booking = BookingFactory(client=client, contact_name="古川 一郎", email="f@example.jp")
    Booking.objects.filter(pk=booking.pk).update(created_at=LONG_AGO)
    (tmp_path / "old").write_bytes(b"%PDF-1.4")
    Attachment.objects.create(
        case=Case.objects.get(client=client),
        name="決算書.pdf",
        content_type="application/pdf",
        size=8,
        sha256="0" * 64,
        stored_name="old",
        uploaded_by=cast.counselor,
    )
    with django_capture_on_commit_callbacks(execute=True):
        _run("--years", "5")
    booking.refresh_from_db()
    assert (booking.contact_name, booking.email) == ("", "")
    assert "古川" not in booking.company_name
    assert not Attachment.objects.exists() and not (tmp_path / "old").exists()
