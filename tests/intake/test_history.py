from __future__ import annotations

from casebook.intake import services
from tests.factories import case_in_state


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
