"""The APPI disclosure export (docs/security.md, "APPI"): everything held about one client,
from every app, as JSON and CSV, made by a manager and written to the access log."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client as WebClient
from django.urls import reverse

from casebook.intake.models import AccessLog, ClientContact, ClientOutcome
from tests.factories import (
    BookingFactory,
    CaseFactory,
    ClientFactory,
    SessionFactory,
    desk,
    refer_internal,
    response_bytes,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(cast):
    """A client with a contact, a normal and a restricted case, sessions, a referral, an
    outcome and a booking; and another client whose records must not appear."""
    client = ClientFactory(name='=HYPERLINK("x") 株式会社開示', email="kaiji@example.jp")
    ClientContact.objects.create(client=client, name="開示 花子", phone="029-000-0000")
    normal = CaseFactory(
        desk=desk("yorozu"), client=client, status="active", lead_counselor=cast.counselor
    )
    restricted = CaseFactory(
        desk=desk("yorozu"),
        client=client,
        status="active",
        confidentiality="restricted",
        lead_counselor=cast.exit_team,
        title="廃業の準備",
    )
    SessionFactory(case=normal, summary="資金繰りの相談内容")
    SessionFactory(case=restricted, summary="廃業の相談内容")
    refer_internal(normal, "ip", by=cast.counselor)
    ClientOutcome.objects.create(client=client, reported_on="2026-03-31", sales_yen=12_000_000)
    BookingFactory(client=client, contact_name="予約 一郎")
    other = ClientFactory(name="無関係の会社")
    SessionFactory(case=CaseFactory(client=other, desk=desk("yorozu")), summary="他社の相談")
    return client, normal, restricted


def _web(user) -> WebClient:
    web = WebClient()
    web.force_login(user)
    return web


def test_the_json_export_holds_every_record_of_the_client_from_every_app(cast, held):
    client, normal, restricted = held
    response = _web(cast.manager).get(reverse("client_personal_data", args=[client.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    document = json.loads(response_bytes(response))
    sections = document["sections"]
    assert document["client_id"] == client.pk
    assert sections["client"][0]["email"] == "kaiji@example.jp"
    assert [row["name"] for row in sections["contacts"]] == ["開示 花子"]
    # The referral opened a case of the same client at the ip desk: it is held too.
    assert {normal.pk, restricted.pk} < {row["id"] for row in sections["cases"]}
    assert {row["client_id"] for row in sections["cases"]} == {client.pk}
    assert {row["summary"] for row in sections["sessions"]} == {
        "資金繰りの相談内容",
        "廃業の相談内容",
    }
    assert len(sections["referrals"]) == 1 and len(sections["outcomes"]) == 1
    assert [row["contact_name"] for row in sections["bookings"]] == ["予約 一郎"]
    assert "他社の相談" not in response_bytes(response).decode()
    assert "name_search" not in sections["client"][0]


def test_the_csv_export_holds_the_same_records_and_no_live_formula(cast, held):
    client, *_ = held
    url = reverse("client_personal_data", args=[client.pk])
    response = _web(cast.manager).get(url, {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response_bytes(response).decode("utf-8-sig"))))
    assert rows[0] == ["section", "record", "field", "value"]
    values = {(row[0], row[2]): row[3] for row in rows[1:]}
    assert values[("client", "name")] == '\'=HYPERLINK("x") 株式会社開示'
    assert ("sessions", "summary") in values and ("bookings", "contact_name") in values


def test_each_case_the_export_holds_is_written_to_the_access_log(cast, held):
    client, normal, restricted = held
    AccessLog.objects.all().delete()
    _web(cast.manager).get(reverse("client_personal_data", args=[client.pk]))
    logged = set(AccessLog.objects.values_list("user__username", "case_id", "via"))
    every_case = set(client.cases.values_list("pk", flat=True))
    assert {normal.pk, restricted.pk} < every_case
    assert logged == {("manager", pk, "appi_export") for pk in every_case}


@pytest.mark.parametrize("who", ["counselor", "coordinator", "auditor", "exit_team"])
def test_only_a_manager_exports_a_clients_personal_data(cast, held, who):
    client, *_ = held
    response = _web(getattr(cast, who)).get(reverse("client_personal_data", args=[client.pk]))
    assert response.status_code == 403
    page = _web(getattr(cast, who)).get(reverse("client_detail", args=[client.pk]))
    assert reverse("client_personal_data", args=[client.pk]) not in page.content.decode()


def test_the_client_page_offers_the_export_to_a_manager(cast, held):
    client, *_ = held
    page = _web(cast.manager).get(reverse("client_detail", args=[client.pk])).content.decode()
    assert reverse("client_personal_data", args=[client.pk]) + "?format=csv" in page


def test_the_export_costs_the_same_for_a_few_records_and_many(
    cast, held, django_assert_max_num_queries
):
    client, normal, _restricted = held
    web = _web(cast.manager)
    url = reverse("client_personal_data", args=[client.pk])
    web.get(url)
    with django_assert_max_num_queries(20):
        web.get(url)
    for _n in range(20):
        SessionFactory(case=normal)
    with django_assert_max_num_queries(20):
        web.get(url)
