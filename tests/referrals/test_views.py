from __future__ import annotations

import csv
import io

import pytest

from casebook.referrals.models import Referral
from tests.factories import (
    PartnerFactory,
    SessionFactory,
    case_in_state,
    desk,
    refer_external,
    refer_internal,
    response_bytes,
)


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_the_refer_page_offers_the_other_desks_and_partners(as_user, cast, yorozu_case):
    PartnerFactory(name="ジェトロ茨城")

    response = as_user(cast.counselor).get(f"/referrals/new/?case={yorozu_case.pk}")

    assert response.status_code == 200
    body = response.content.decode()
    assert "ジェトロ茨城" in body
    assert desk("ip").name in body


def test_the_refer_page_is_404_for_a_case_the_user_cannot_see(as_user, cast, yorozu_case):
    response = as_user(cast.outsider).get(f"/referrals/new/?case={yorozu_case.pk}")

    assert response.status_code == 404


def test_the_refer_page_is_403_for_a_viewer_without_the_role(as_user, cast, yorozu_case):
    response = as_user(cast.auditor).get(f"/referrals/new/?case={yorozu_case.pk}")

    assert response.status_code == 403


def test_referring_from_the_page_creates_the_referral(as_user, cast, yorozu_case):
    response = as_user(cast.counselor).post(
        f"/referrals/new/?case={yorozu_case.pk}",
        {"kind": "internal", "to_desk": desk("ip").pk, "handoff_note": "商標の相談です"},
    )

    referral = Referral.objects.get(from_case=yorozu_case)
    assert response.status_code == 302
    assert response["Location"] == f"/referrals/{referral.pk}/"
    assert referral.created_case.desk.code == "ip"


def test_a_referral_without_a_note_shows_the_field_error(as_user, cast, yorozu_case):
    response = as_user(cast.counselor).post(
        f"/referrals/new/?case={yorozu_case.pk}",
        {"kind": "internal", "to_desk": desk("ip").pk, "handoff_note": ""},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["handoff_note"]
    assert not Referral.objects.exists()


def test_the_page_warns_of_an_open_case_at_the_receiving_desk_before_referring(
    as_user, cast, yorozu_case
):
    existing = case_in_state(
        "intake", lead=cast.manager, by=cast.manager, desk_code="trade", client=yorozu_case.client
    )
    web = as_user(cast.manager)
    data = {"kind": "internal", "to_desk": desk("trade").pk, "handoff_note": "輸出の相談"}

    first = web.post(f"/referrals/new/?case={yorozu_case.pk}", data)
    assert first.status_code == 200
    assert existing.number in first.content.decode()
    assert not Referral.objects.exists()

    web.post(
        f"/referrals/new/?case={yorozu_case.pk}",
        {**data, "confirmed": "True", "attach_to_existing": "on"},
    )
    referral = Referral.objects.get()
    assert referral.created_case == existing


def test_the_receiving_desk_reads_the_handoff_but_not_the_sessions(as_user, cast, yorozu_case):
    SessionFactory(case=yorozu_case, summary="極秘の売上内訳")
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor, handoff_note="商標の相談です")

    body = as_user(cast.colleague).get(f"/referrals/{referral.pk}/").content.decode()

    assert "商標の相談です" in body
    assert "極秘の売上内訳" not in body


def test_the_receiving_desk_reads_the_sessions_when_the_file_is_shared(as_user, cast, yorozu_case):
    SessionFactory(case=yorozu_case, summary="売上内訳の確認")
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor, share_full_file=True)

    body = as_user(cast.colleague).get(f"/referrals/{referral.pk}/").content.decode()

    assert "売上内訳の確認" in body


def test_a_referral_page_is_404_for_an_outsider(as_user, cast, yorozu_case):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)

    assert as_user(cast.outsider).get(f"/referrals/{referral.pk}/").status_code == 404


def test_the_receiving_coordinator_accepts_on_the_page(as_user, cast, yorozu_case, ip_coordinator):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)

    response = as_user(ip_coordinator).post(
        f"/referrals/{referral.pk}/accept/", {"lead_counselor": cast.colleague.pk}
    )

    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "accepted"
    assert referral.created_case.lead_counselor == cast.colleague


def test_a_counselor_of_the_receiving_desk_gets_403_naming_the_rule(as_user, cast, yorozu_case):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)

    response = as_user(cast.colleague).post(f"/referrals/{referral.pk}/accept/", {})

    assert response.status_code == 403
    assert "coordinator" in response.content.decode() or "統括" in response.content.decode()


def test_declining_without_a_reason_on_the_page_is_refused(
    as_user, cast, yorozu_case, ip_coordinator
):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)

    response = as_user(ip_coordinator).post(f"/referrals/{referral.pk}/decline/", {"reason": ""})

    assert response.status_code == 400
    referral.refresh_from_db()
    assert referral.status == "pending"


def test_accepting_twice_on_the_page_answers_409(as_user, cast, yorozu_case, ip_coordinator):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)
    web = as_user(ip_coordinator)
    web.post(f"/referrals/{referral.pk}/accept/", {})

    again = web.post(f"/referrals/{referral.pk}/accept/", {})

    # The referral's page says why, in the referral's words (not a case's).
    assert again.status_code == 409
    assert again.context["refused"] == [
        "紹介・引継ぎの状態は「受入れ」です。この状態から「紹介・引継ぎの受入れ」はできません。"
    ]
    assert "accept" not in again.context["actions"]


def test_the_desk_page_lists_incoming_referrals(as_user, cast, yorozu_case, ip_coordinator):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)

    response = as_user(ip_coordinator).get("/referrals/desks/ip/")

    assert response.status_code == 200
    assert referral in response.context["incoming"]


def test_the_case_page_shows_its_referrals_panel(as_user, cast, yorozu_case):
    referral = refer_internal(yorozu_case, "ip", by=cast.counselor)

    body = as_user(cast.counselor).get(f"/cases/{yorozu_case.pk}/").content.decode()

    assert f"/referrals/{referral.pk}/" in body
    assert f"/referrals/new/?case={yorozu_case.pk}" in body


def test_the_reports_page_and_its_csv_with_a_bom(as_user, cast, yorozu_case, ip_coordinator):
    refer_internal(yorozu_case, "ip", by=cast.counselor)
    refer_external(yorozu_case, PartnerFactory(name="常陽銀行"), by=cast.counselor)
    web = as_user(cast.manager)

    assert web.get("/referrals/reports/").status_code == 200
    desks_csv = web.get("/referrals/reports/desks.csv")
    partners_csv = web.get("/referrals/reports/partners.csv")

    assert desks_csv["Content-Type"].startswith("text/csv")
    desks_body = response_bytes(desks_csv)
    assert desks_body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(desks_body.decode("utf-8-sig"))))
    assert rows[1][0] == "yorozu" and rows[1][2] == "ip" and rows[1][4] == "1"
    partner_rows = list(csv.reader(io.StringIO(response_bytes(partners_csv).decode("utf-8-sig"))))
    assert partner_rows[1][1] == "常陽銀行"


def test_a_counselor_gets_403_on_the_reports(as_user, cast):
    assert as_user(cast.counselor).get("/referrals/reports/").status_code == 403
