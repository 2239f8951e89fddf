from __future__ import annotations

from casebook.intake import services
from tests.factories import ClientFactory, case_in_state, desk


def test_history_rows_carry_the_acting_user(cast):
    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    services.case_hold(
        case=case,
        by=cast.counselor,
        reason="決算書待ち",
        resume_by=case.opened_at.date().replace(year=case.opened_at.year + 1),
    )
    rows = list(case.history.order_by("history_id").values_list("status", "history_user__username"))
    assert rows[0] == ("intake", "coordinator")
    assert ("assigned", "coordinator") in rows
    assert ("active", "counselor") in rows
    assert rows[-1] == ("on_hold", "counselor")


def test_history_records_why_a_case_changed(cast):
    case = case_in_state("closed", lead=cast.counselor, by=cast.coordinator)
    services.case_reopen(case=case, by=cast.coordinator, reason="追加の相談")
    latest = case.history.order_by("-history_id").first()
    assert latest.history_change_reason == "追加の相談"
    assert latest.history_user == cast.coordinator


def test_client_history_carries_the_acting_user(cast):
    client = services.client_create(by=cast.colleague, kind="founder", name="創業 太郎")
    services.client_update(client=client, by=cast.counselor, expected_version=1, phone="0291234567")
    users = list(
        client.history.order_by("history_id").values_list("history_user__username", flat=True)
    )
    assert users == ["colleague", "counselor"]


def test_one_edit_of_fields_and_sets_writes_one_history_row_with_both_sets(cast):
    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator, topics=["finance"])
    before = case.history.count()
    services.case_update(
        case=case,
        by=cast.coordinator,
        expected_version=None,
        title="資金繰りと販路の相談",
        topics=["finance", "marketing"],
        co_counselors=[cast.exit_team],
    )
    assert case.history.count() == before + 1
    latest = case.history.order_by("-history_id").first()
    assert latest.title == "資金繰りと販路の相談"
    assert latest.topics == ["finance", "marketing"]
    assert latest.co_counselors == [cast.exit_team.pk]
    assert latest.history_user == cast.coordinator


def test_opening_a_case_writes_one_history_row_with_its_topics(cast):
    case = services.case_open(
        desk=desk("yorozu"),
        client=ClientFactory(),
        title="創業の相談",
        intake_channel="walk_in",
        topics=["startup", "finance"],
        by=cast.counselor,
    )
    rows = list(case.history.all())
    assert len(rows) == 1
    assert rows[0].history_type == "+"
    assert rows[0].topics == ["finance", "startup"]


def test_logging_a_session_writes_one_history_row_with_its_counselors_and_topics(cast):
    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    session = services.session_log(
        case=case,
        by=cast.counselor,
        started_at=case.opened_at,
        duration_minutes=30,
        mode="phone",
        summary="電話で確認",
        topics=["labour"],
        counselors=[cast.counselor, cast.coordinator],
    )
    rows = list(session.history.all())
    assert len(rows) == 1
    assert rows[0].counselors == sorted([cast.counselor.pk, cast.coordinator.pk])
    assert rows[0].topics == ["labour"]


def test_every_change_moves_the_version_on_once(cast):
    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    version = case.version
    case = services.case_update(
        case=case, by=cast.coordinator, expected_version=version, priority="high", topics=["grants"]
    )
    assert case.version == version + 1
    case = services.case_hold(
        case=case,
        by=cast.counselor,
        reason="待ち",
        resume_by=case.opened_at.date().replace(year=case.opened_at.year + 1),
    )
    assert case.version == version + 2


def test_a_set_changed_outside_the_services_still_writes_a_history_row(cast):
    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    before = case.history.count()
    case.topics.add("digital")
    latest = case.history.order_by("-history_id").first()
    assert case.history.count() == before + 1
    assert latest.topics == ["digital"]
