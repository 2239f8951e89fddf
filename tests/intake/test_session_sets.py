"""Each session's topics and counselors on one row with its instant, kept by the database
(`intake 0026_session_sets`; docs/performance.md, "The FY KPI report", "A year's topics and
counselors read as one range"): on PostgreSQL the table equals what the sessions and their
many-to-many tables give after every writer of sessions, topics and counselors."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from casebook.intake import services
from casebook.intake.demo.bulk import BulkWriter, next_id, reset_sequences
from casebook.intake.models import ConsultationSession, Topic
from tests.factories import (
    CaseFactory,
    ClientFactory,
    OfficeFactory,
    SessionFactory,
    case_in_state,
    desk,
)
from tests.intake.writers import (
    delete_in_admin,
    duplicate_and_survivor,
    log_session,
    merge,
    save_in_admin,
)
from tests.markers import needs_postgres
from tests.reports.kept_counts import assert_counts_kept

pytestmark = [pytest.mark.django_db, needs_postgres, pytest.mark.postgres]

# (session, instant, desk, client, mode, office, topics, counselors)
Row = tuple[int, dt.datetime, int, int | None, str, int | None, tuple[str, ...], tuple[int, ...]]
COPIED = ("pk", "started_at", "desk_id", "client_id", "mode", "office_id")


def _expected_rows() -> set[Row]:
    """Each session's row as Python computes it from the ORM."""
    topics: dict[int, list[str]] = {}
    for session_id, code in ConsultationSession.topics.through.objects.values_list(
        "consultationsession_id", "topic_id"
    ):
        topics.setdefault(session_id, []).append(code)
    counselors: dict[int, list[int]] = {}
    for session_id, user_id in ConsultationSession.counselors.through.objects.values_list(
        "consultationsession_id", "user_id"
    ):
        counselors.setdefault(session_id, []).append(user_id)
    return {
        (*row, tuple(sorted(topics.get(row[0], []))), tuple(sorted(counselors.get(row[0], []))))
        for row in ConsultationSession.objects.values_list(*COPIED)
    }


def _stored_rows() -> set[Row]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT session_id, started_at, desk_id, client_id, mode, office_id, topic_ids, "
            "counselor_ids FROM intake_session_sets"
        )
        rows = [(*row[:6], tuple(row[6]), tuple(row[7])) for row in cursor.fetchall()]
    assert len(rows) == len({row[0] for row in rows})
    return set(rows)


def _assert_kept() -> None:
    """The sets equal the sessions', and so do the report's counts kept from them."""
    expected = _expected_rows()
    assert expected, "no session"
    assert _stored_rows() == expected
    assert_counts_kept()


def _topics(*codes: str) -> list[Topic]:
    return list(Topic.objects.filter(code__in=codes))


def test_logging_editing_amending_and_deleting_sessions_keeps_their_sets(cast):
    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    session = services.session_log(
        case=case,
        by=cast.counselor,
        started_at=timezone.now() - dt.timedelta(hours=2),
        duration_minutes=30,
        mode="phone",
        summary="資金繰りの相談",
        topics=["finance", "labour"],
    )
    _assert_kept()
    other = log_session(case, cast.counselor, hours_ago=3)
    _assert_kept()
    services.session_update(
        session=session,
        by=cast.counselor,
        expected_version=session.version,
        topics=["labour"],
        counselors=[cast.coordinator, cast.counselor],
        started_at=timezone.now() - dt.timedelta(hours=5),
    )
    _assert_kept()
    # An amendment: a session older than the edit window.
    ConsultationSession.objects.filter(pk=other.pk).update(
        started_at=timezone.now() - dt.timedelta(days=20),
        created_at=timezone.now() - dt.timedelta(days=20),
    )
    _assert_kept()
    other.refresh_from_db()
    services.session_update(
        session=other,
        by=cast.counselor,
        expected_version=other.version,
        reason="記入漏れ",
        topics=["finance"],
    )
    _assert_kept()
    delete_in_admin(ConsultationSession.objects.get(pk=other.pk), by=cast.manager)
    _assert_kept()
    assert (other.pk,) not in {(row[0],) for row in _stored_rows()}


def test_the_many_to_many_written_directly_keeps_the_sets(cast):
    sessions = [SessionFactory() for _ in range(4)]
    _assert_kept()
    sessions[0].topics.set(_topics("finance", "labour", "ip"))
    sessions[0].counselors.set([cast.counselor, cast.colleague])
    sessions[1].topics.add(*_topics("finance"))
    sessions[1].counselors.add(cast.colleague)
    _assert_kept()
    sessions[0].topics.remove(*_topics("labour"))
    sessions[0].counselors.remove(cast.counselor)
    sessions[1].topics.clear()
    _assert_kept()
    ConsultationSession.topics.through.objects.filter(consultationsession_id=sessions[0].pk).update(
        consultationsession_id=sessions[2].pk
    )
    _assert_kept()
    ConsultationSession.counselors.through.objects.bulk_create(
        [
            ConsultationSession.counselors.through(consultationsession=session, user=cast.counselor)
            for session in sessions[2:]
        ]
    )
    _assert_kept()
    ConsultationSession.objects.filter(pk__in=[s.pk for s in sessions[:2]]).update(
        started_at=timezone.now() - dt.timedelta(days=400)
    )
    ConsultationSession.objects.filter(pk=sessions[3].pk).update(summary="no key changed")
    _assert_kept()
    ConsultationSession.objects.filter(pk=sessions[2].pk).update(
        mode="online", office=OfficeFactory(), desk=desk("ip"), client=None
    )
    _assert_kept()
    ConsultationSession.topics.through.objects.all().delete()
    ConsultationSession.objects.filter(pk=sessions[3].pk).delete()
    _assert_kept()


def test_case_merges_bulk_inserts_and_the_admin_keep_the_sets(cast):
    # The services number their cases first; the factory's cases come after them.
    duplicate, survivor = duplicate_and_survivor(cast)
    log_session(duplicate, cast.counselor)
    merge(duplicate, survivor, by=cast.coordinator)
    _assert_kept()
    first = next_id(ConsultationSession)
    case = CaseFactory(desk=desk("ip"))
    BulkWriter(ConsultationSession).write(
        {
            "id": first + n,
            "case_id": case.pk,
            "desk_id": case.desk_id,
            "client_id": case.client_id,
            "case_confidentiality": case.confidentiality,
            "started_at": timezone.now() - dt.timedelta(days=n),
            "duration_minutes": 30,
            "mode": "phone",
            "client_attendees": "",
            "summary": "一括",
            "advice": "",
            "client_next_actions": "",
            "our_next_actions": "",
            "created_at": timezone.now(),
            "version": 1,
        }
        for n in range(3)
    )
    BulkWriter(ConsultationSession.topics.through).write(
        {"consultationsession_id": first + n, "topic_id": "finance"} for n in range(2)
    )
    BulkWriter(ConsultationSession.counselors.through).write(
        {"consultationsession_id": first, "user_id": user.pk}
        for user in (cast.counselor, cast.colleague)
    )
    reset_sequences(
        ConsultationSession,
        ConsultationSession.topics.through,
        ConsultationSession.counselors.through,
    )
    _assert_kept()
    session = SessionFactory.build(case=case, desk=None, client=None)
    save_in_admin(session, by=cast.manager, changed=[], change=False)
    session.started_at = timezone.now() - dt.timedelta(days=30)
    save_in_admin(session, by=cast.manager, changed=["started_at"])
    _assert_kept()
    absorbed = ClientFactory()
    SessionFactory(case=CaseFactory(client=absorbed, desk=desk("ip"))).topics.set(_topics("labour"))
    services.client_merge(survivor=survivor.client, absorbed=absorbed, by=cast.manager)
    _assert_kept()


def test_the_legacy_import_and_the_retention_run_keep_the_sets(cast, tmp_path: Path):
    path = tmp_path / "legacy.csv"
    path.write_text(
        "\ufeffclient,client_kana,corporate_number,phone,desk,date,time,duration_minutes,"
        "counselor,mode,office,topics,summary\n"
        "株式会社水戸精機,ミトセイキ,7000012050002,029-000-0000,yorozu,2020-04-01,09:30,90,"
        "counselor,in_person_hq,,finance;labour,資金繰りの相談\n",
        encoding="utf-8",
    )
    call_command("import_legacy", str(path), "--by", "manager", stdout=io.StringIO())
    assert ConsultationSession.objects.exists()
    _assert_kept()
    long_ago = timezone.now() - dt.timedelta(days=365 * 8)
    old = ClientFactory()
    old_case = CaseFactory(
        client=old,
        opened_at=long_ago,
        status="closed",
        closed_at=long_ago,
        closure_reason="resolved",
        closure_summary="解決",
    )
    SessionFactory(case=old_case, started_at=long_ago).topics.set(_topics("finance"))
    call_command("retention", "--years", "5", stdout=io.StringIO())
    _assert_kept()


def test_the_load_generator_leaves_every_session_with_its_sets(cast):
    call_command("generate_load", "--force", "--scale", "0.002", stdout=io.StringIO())
    assert ConsultationSession.objects.count() > 50
    assert ConsultationSession.topics.through.objects.exists()
    _assert_kept()


def test_truncated_tables_leave_the_sets_equal_to_what_is_left(cast):
    for _ in range(3):
        session = SessionFactory()
        session.topics.set(_topics("finance"))
        session.counselors.set([cast.counselor])
    with connection.cursor() as cursor:
        # The deferred foreign keys' checks first: a table with pending ones is not truncated.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE intake_consultationsession_topics")
    _assert_kept()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE intake_consultationsession_counselors")
    _assert_kept()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE intake_consultationsession CASCADE")
    assert _stored_rows() == set()
