"""The dispute and IP desks' details in the case API, and a client's contacts in the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from casebook.accounts.models import DeskRole
from casebook.intake import services
from casebook.intake.models import ClientContact, SubcontractDetails
from tests.factories import ClientFactory, case_in_state, member


@pytest.fixture
def dispute_lead(db):
    return member("subcontract", DeskRole.COORDINATOR, username="kakekomi")


@pytest.fixture
def ip_lead(db):
    return member("ip", DeskRole.COORDINATOR, username="chizai")


def test_a_dispute_case_carries_its_desk_details_and_a_yorozu_case_none(cast, api_as, dispute_lead):
    dispute = case_in_state("active", lead=dispute_lead, by=dispute_lead, desk_code="subcontract")
    services.subcontract_details_update(case=dispute, by=dispute_lead, counterpart_company="親会社")
    yorozu = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    shown = api_as(dispute_lead).get(f"/api/v1/cases/{dispute.pk}/").json()
    assert shown["desk_details"]["counterpart_company"] == "親会社"
    assert "desk_details" not in api_as(cast.counselor).get(f"/api/v1/cases/{yorozu.pk}/").json()
    listed = api_as(cast.manager).get("/api/v1/cases/").json()["results"]
    by_id = {row["id"]: row for row in listed}
    assert "desk_details" in by_id[dispute.pk] and "desk_details" not in by_id[yorozu.pk]
    assert api_as(cast.counselor).get(f"/api/v1/cases/{yorozu.pk}/details/").status_code == 404


def test_the_ip_details_carry_the_grace_period_deadline(api_as, ip_lead):
    case = case_in_state("active", lead=ip_lead, by=ip_lead, desk_code="ip")
    disclosed = timezone.localdate() - dt.timedelta(days=330)
    services.ip_details_update(case=case, by=ip_lead, invention_disclosed_on=disclosed)
    details = api_as(ip_lead).get(f"/api/v1/cases/{case.pk}/").json()["desk_details"]
    assert details["grace_period_ends_on"] == disclosed.replace(year=disclosed.year + 1).isoformat()
    assert details["grace_period_urgency"] == "soon"


def test_desk_details_are_patched_with_if_match(api_as, dispute_lead):
    case = case_in_state("active", lead=dispute_lead, by=dispute_lead, desk_code="subcontract")
    api = api_as(dispute_lead)
    url = f"/api/v1/cases/{case.pk}/details/"
    shown = api.get(url)
    assert api.patch(url, {"dispute_type": "price_cut"}, format="json").status_code == 428
    saved = api.patch(
        url, {"law_breach_suspected": True}, format="json", HTTP_IF_MATCH=shown["ETag"]
    )
    assert saved.status_code == 200, saved.content
    assert saved.json()["law_breach_suspected"] is True
    stale = api.patch(
        url, {"counterpart_company": "古い版"}, format="json", HTTP_IF_MATCH=shown["ETag"]
    )
    assert stale.status_code == 412
    assert SubcontractDetails.objects.get(case=case).counterpart_company == ""


def test_the_api_keeps_the_web_rules_of_the_dispute_desk(api_as, dispute_lead):
    case = case_in_state("active", lead=dispute_lead, by=dispute_lead, desk_code="subcontract")
    api = api_as(dispute_lead)
    url = f"/api/v1/cases/{case.pk}/details/"
    etag = api.get(url)["ETag"]
    refused = api.patch(
        url,
        {"forwarded_to_meti_on": timezone.localdate().isoformat()},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert refused.status_code == 400
    assert "forwarded_to_meti_on" in refused.content.decode()
    filed = api.patch(url, {"adr_state": "filed"}, format="json", HTTP_IF_MATCH=etag)
    assert filed.json()["adr_filed_on"] == timezone.localdate().isoformat()
    backwards = api.patch(url, {"adr_state": ""}, format="json", HTTP_IF_MATCH=filed["ETag"])
    assert backwards.status_code == 409


def test_a_counselor_of_another_desk_gets_404_for_the_details(cast, api_as, dispute_lead):
    case = case_in_state("active", lead=dispute_lead, by=dispute_lead, desk_code="subcontract")
    assert api_as(cast.counselor).get(f"/api/v1/cases/{case.pk}/details/").status_code == 404


# --- contacts ---------------------------------------------------------------------------------


def test_contacts_are_listed_and_added_through_the_client(cast, api_as):
    client = ClientFactory()
    api = api_as(cast.counselor)
    added = api.post(
        f"/api/v1/clients/{client.pk}/contacts/",
        {"name": "総務 花子", "title": "総務部長", "is_primary": True},
        format="json",
    )
    assert added.status_code == 201, added.content
    api.post(f"/api/v1/clients/{client.pk}/contacts/", {"name": "経理 一郎"}, format="json")
    listed = api.get(f"/api/v1/clients/{client.pk}/contacts/").json()["results"]
    assert {row["name"]: row["is_primary"] for row in listed} == {
        "総務 花子": True,
        "経理 一郎": False,
    }


def test_making_a_second_contact_primary_leaves_one_primary(cast, api_as):
    client = ClientFactory()
    first = services.contact_create(client=client, by=cast.counselor, name="甲", is_primary=True)
    second = services.contact_create(client=client, by=cast.counselor, name="乙")
    api = api_as(cast.counselor)
    url = f"/api/v1/clients/{client.pk}/contacts/{second.pk}/"
    assert api.patch(url, {"is_primary": True}, format="json").status_code == 428
    done = api.patch(url, {"is_primary": True}, format="json", HTTP_IF_MATCH=f'"{second.version}"')
    assert done.status_code == 200, done.content
    assert list(ClientContact.objects.filter(is_primary=True)) == [second]
    first.refresh_from_db()
    assert not first.is_primary


def test_a_contact_without_a_name_is_a_field_error(cast, api_as):
    client = ClientFactory()
    refused = api_as(cast.counselor).post(
        f"/api/v1/clients/{client.pk}/contacts/", {"title": "部長"}, format="json"
    )
    assert refused.status_code == 400
    assert "name" in refused.content.decode()


def test_an_outsider_reaches_no_contact(cast, api_as):
    client = ClientFactory()
    contact = services.contact_create(client=client, by=cast.counselor, name="甲")
    api = api_as(cast.outsider)
    assert api.get(f"/api/v1/clients/{client.pk}/contacts/").status_code == 404
    url = f"/api/v1/clients/{client.pk}/contacts/{contact.pk}/"
    assert api.patch(url, {"title": "x"}, format="json", HTTP_IF_MATCH='"1"').status_code == 404
