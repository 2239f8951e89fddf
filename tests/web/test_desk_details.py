from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from casebook.accounts.models import DeskRole
from casebook.intake import services
from casebook.intake.models import IpDetails, SubcontractDetails
from tests.factories import case_in_state, member
from tests.web.conftest import login


@pytest.fixture
def ip_case(cast):
    return case_in_state("active", lead=cast.colleague, by=cast.manager, desk_code="ip")


@pytest.fixture
def dispute_case(cast):
    lead = member("subcontract", DeskRole.COUNSELOR, username="dispute")
    return case_in_state("active", lead=lead, by=cast.manager, desk_code="subcontract")


def test_the_ip_desk_records_its_details_from_the_case_page(cast, client, ip_case):
    disclosed = timezone.localdate() - dt.timedelta(days=320)
    response = login(client, cast.colleague).post(
        f"/cases/{ip_case.pk}/details/",
        {
            "invention_disclosed_on": disclosed.isoformat(),
            "rights_sought": ["patent", "trademark"],
            "foreign_filing_countries": "us, cn",
        },
    )
    assert response.status_code == 302
    details = IpDetails.objects.get(case=ip_case)
    assert details.rights_sought == ["patent", "trademark"]
    assert details.foreign_filing_countries == ["US", "CN"]
    page = client.get(f"/cases/{ip_case.pk}/").content.decode()
    deadline = disclosed.replace(year=disclosed.year + 1)
    assert f"{deadline.year}年{deadline.month}月{deadline.day}日" in page
    assert "grace grace-soon" in page


def test_a_wrong_country_code_is_an_error_at_its_field_and_the_input_stays(cast, client, ip_case):
    response = login(client, cast.colleague).post(
        f"/cases/{ip_case.pk}/details/",
        {"foreign_filing_countries": "USA", "filing_outcome": "出願済み"},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_foreign_filing_countries_error"' in page
    assert 'value="出願済み"' in page
    assert not IpDetails.objects.filter(case=ip_case).exclude(filing_outcome="").exists()


def test_a_grace_period_ending_soon_shows_on_my_cases(cast, client, ip_case):
    services.ip_details_update(
        case=ip_case,
        by=cast.colleague,
        invention_disclosed_on=timezone.localdate() - dt.timedelta(days=355),
    )
    page = login(client, cast.colleague).get("/").content.decode()
    alerts = page[page.index('id="grace-title"') :]
    assert ip_case.number in alerts[: alerts.index("</section>")]


def test_an_adr_step_the_state_machine_lacks_is_refused_at_the_field(cast, client, dispute_case):
    response = login(client, cast.manager).post(
        f"/cases/{dispute_case.pk}/details/", {"adr_state": "settled"}
    )
    assert response.status_code == 409
    assert 'id="id_adr_state_error"' in response.content.decode()
    assert not SubcontractDetails.objects.filter(case=dispute_case, adr_state="settled").exists()


def test_forwarding_to_meti_needs_a_suspected_breach(cast, client, dispute_case):
    response = login(client, cast.manager).post(
        f"/cases/{dispute_case.pk}/details/",
        {"counterpart_company": "大手機械", "forwarded_to_meti_on": timezone.localdate()},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_forwarded_to_meti_on_error"' in page
    assert 'value="大手機械"' in page


def test_the_dispute_desk_files_an_adr_mediation(cast, client, dispute_case):
    response = login(client, cast.manager).post(
        f"/cases/{dispute_case.pk}/details/",
        {"counterpart_company": "大手機械", "dispute_type": "unpaid", "adr_state": "filed"},
    )
    assert response.status_code == 302
    details = SubcontractDetails.objects.get(case=dispute_case)
    assert details.adr_state == "filed" and details.adr_filed_on == timezone.localdate()
    page = client.get(f"/cases/{dispute_case.pk}/").content.decode()
    assert "大手機械" in page


def test_a_desk_without_details_of_its_own_answers_404(cast, client, active_case):
    assert login(client, cast.counselor).get(f"/cases/{active_case.pk}/details/").status_code == 404


def test_an_auditor_sees_the_details_but_may_not_edit_them(cast, client, ip_case):
    client = login(client, cast.auditor)
    page = client.get(f"/cases/{ip_case.pk}/").content.decode()
    assert 'id="desk-details-title"' in page
    assert f"/cases/{ip_case.pk}/details/" not in page
    assert client.get(f"/cases/{ip_case.pk}/details/").status_code == 403


def test_another_desks_counselor_gets_404_for_the_details(cast, client, ip_case):
    assert login(client, cast.counselor).get(f"/cases/{ip_case.pk}/details/").status_code == 404


def test_saving_the_details_over_a_newer_version_is_refused_and_saves_nothing(
    cast, client, ip_case
):
    services.ip_details_update(case=ip_case, by=cast.colleague, filing_outcome="出願準備中")
    seen = IpDetails.objects.get(case=ip_case).version
    services.ip_details_update(case=ip_case, by=cast.manager, filing_outcome="出願済み")
    response = login(client, cast.colleague).post(
        f"/cases/{ip_case.pk}/details/", {"version": seen, "filing_outcome": "取り下げ"}
    )
    assert response.status_code == 409
    assert 'value="取り下げ"' in response.content.decode()
    assert IpDetails.objects.get(case=ip_case).filing_outcome == "出願済み"
