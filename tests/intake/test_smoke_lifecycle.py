from __future__ import annotations

import datetime as dt

from django.utils import timezone

from casebook.intake import services
from tests.factories import ClientFactory, desk


def test_a_case_goes_from_intake_to_closed(cast):
    client = services.client_create(
        by=cast.counselor,
        kind="company",
        name="株式会社　水戸製作所",
        corporate_number="７００００１２０５０００２",
        capital_yen=1,
    )
    assert client.corporate_number == "7000012050002"
    case = services.case_open(
        desk=desk("yorozu"),
        client=client,
        title="資金繰り",
        intake_channel="walk_in",
        by=cast.counselor,
        topics=["finance"],
    )
    assert case.number.startswith("yorozu-") and case.status == "intake"
    case = services.case_assign(case=case, counselor=cast.counselor, by=cast.coordinator)
    assert case.status == "assigned"
    services.session_log(
        case=case,
        by=cast.counselor,
        started_at=timezone.now() - dt.timedelta(hours=1),
        duration_minutes=60,
        mode="in_person_hq",
        summary="相談",
    )
    case.refresh_from_db()
    assert case.status == "active"
    case = services.case_close(case=case, by=cast.counselor, reason="resolved", summary="解決")
    assert case.status == "closed"
    assert case.history.first().history_user == cast.counselor
    _ = ClientFactory
