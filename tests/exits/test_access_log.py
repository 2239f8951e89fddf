"""The access-log screen: managers and auditors read who read which restricted case, when and
through what; an auditor, who may not see restricted cases, reads them by id only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import exit_candidate, on_exit_track
from tests.referrals.test_query_budgets import web_as

pytestmark = pytest.mark.django_db


def test_managers_read_who_read_which_case_and_filter_by_user_case_and_channel(cast):
    plan = on_exit_track(exit_candidate(cast, title="極秘の廃業準備"), by=cast.exit_team)
    web_as(cast.exit_team).get(reverse("case_detail", args=[plan.case_id]))
    web_as(cast.counselor).get(reverse("exits:plan", args=[plan.pk]))
    web = web_as(cast.manager)
    url = reverse("exits:access_log")

    page = web.get(url).content.decode()
    assert plan.case.number in page and "exitlead" in page and "counselor" in page

    only_counselor = web.get(url, {"user": "counselor"}).content.decode()
    assert "(counselor)" in only_counselor and "(exitlead)" not in only_counselor
    by_channel = web.get(url, {"via": "web"}).content.decode()
    assert "(exitlead)" in by_channel and "(counselor)" not in by_channel
    other_case = web.get(url, {"case": "yorozu-2026-99999"}).content.decode()
    assert "(exitlead)" not in other_case


def test_an_auditor_reads_the_log_without_the_cases_number_or_title(cast):
    plan = on_exit_track(exit_candidate(cast, title="極秘の廃業準備"), by=cast.exit_team)
    web_as(cast.exit_team).get(reverse("case_detail", args=[plan.case_id]))
    page = web_as(cast.auditor).get(reverse("exits:access_log")).content.decode()
    assert "(exitlead)" in page and f"#{plan.case_id}" in page
    assert plan.case.number not in page and "極秘の廃業準備" not in page


def test_the_rest_may_not_read_the_access_log(cast):
    for user in (cast.exit_team, cast.coordinator, cast.counselor, cast.outsider):
        assert web_as(user).get(reverse("exits:access_log")).status_code == 403


def test_file_downloads_and_personal_data_exports_are_named_in_japanese_on_the_access_log(cast):
    from casebook.intake.services import access_log_record

    plan = on_exit_track(exit_candidate(cast, title="極秘の廃業準備"), by=cast.exit_team)
    for via in ("attachment:41", "appi_export", "attachment"):
        access_log_record(user=cast.exit_team, cases=[plan.case], via=via)
    page = web_as(cast.manager).get(reverse("exits:access_log")).content.decode()
    assert "添付ファイル #41 のダウンロード" in page
    assert "個人データの開示出力（個人情報保護法）" in page
    assert "ファイルの添付" in page
    assert "<td>appi_export</td>" not in page and "<td>attachment:41</td>" not in page
    assert "個人情報保護法に基づく個人データの開示出力" in page

    exports_only = web_as(cast.manager).get(reverse("exits:access_log"), {"via": "appi_export"})
    assert "添付ファイル #41" not in exports_only.content.decode()
