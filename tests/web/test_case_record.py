"""The printable case record (相談カルテ): what the case page shows its reader, on A4."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from casebook.intake import services
from casebook.intake.models import AccessLog
from tests.factories import SessionFactory, case_in_state, refer_internal
from tests.web.conftest import in_english, login


def test_the_record_holds_the_client_the_sessions_and_the_referrals(cast, client, active_case):
    services.contact_create(
        client=active_case.client, by=cast.counselor, name="総務 花子", is_primary=True
    )
    services.session_log(
        case=active_case,
        by=cast.counselor,
        started_at=timezone.now() - dt.timedelta(hours=2),
        duration_minutes=30,
        mode="phone",
        summary="返済計画を一緒に見直した",
    )
    refer_internal(active_case, "ip", by=cast.counselor)
    page = (
        in_english(login(client, cast.counselor))
        .get(f"/cases/{active_case.pk}/record/")
        .content.decode()
    )
    assert active_case.client.name in page
    assert "総務 花子" in page
    assert "返済計画を一緒に見直した" in page
    assert "商標出願の相談をお願いします" in page  # the referral's hand-off note
    assert "data-print" in page
    assert "Details changed" not in page  # the edit history stays on the case page


def test_the_record_marks_a_confidential_case(cast, client):
    case = case_in_state(
        "active", lead=cast.counselor, by=cast.coordinator, confidentiality="confidential"
    )
    page = in_english(login(client, cast.counselor)).get(f"/cases/{case.pk}/record/")
    assert "record-mark" in page.content.decode()


def test_a_restricted_case_record_is_logged_and_hidden_from_others(cast, client, restricted_case):
    SessionFactory(case=restricted_case, summary="廃業の段取り")
    assert (
        login(client, cast.counselor).get(f"/cases/{restricted_case.pk}/record/").status_code == 404
    )
    page = login(client, cast.exit_team).get(f"/cases/{restricted_case.pk}/record/")
    assert "廃業の段取り" in page.content.decode()
    assert AccessLog.objects.filter(case=restricted_case, via="record").count() == 1


def test_the_case_page_links_its_record(cast, client, active_case):
    page = login(client, cast.counselor).get(f"/cases/{active_case.pk}/").content.decode()
    assert f"/cases/{active_case.pk}/record/" in page
