"""Idempotency-Key on creates: a replay returns the first answer and creates nothing."""

from __future__ import annotations

import datetime as dt
import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from casebook.api.idempotency import idempotency_records_purge
from casebook.api.models import IdempotencyRecord
from casebook.intake.models import Case, Client, ConsultationSession
from tests.factories import CaseFactory, ClientFactory
from tests.markers import needs_postgres

CLIENT = {"kind": "company", "name": "株式会社冪等", "phone": "029-000-1111"}


def test_a_replayed_client_create_returns_the_first_response_and_creates_nothing(cast, api_as):
    api = api_as(cast.counselor)
    first = api.post("/api/v1/clients/", CLIENT, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = api.post("/api/v1/clients/", CLIENT, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    assert second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Client.objects.filter(name="株式会社冪等").count() == 1


def test_the_same_key_with_another_body_answers_422_and_creates_nothing(cast, api_as):
    api = api_as(cast.counselor)
    api.post("/api/v1/clients/", CLIENT, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    other = api.post(
        "/api/v1/clients/",
        {**CLIENT, "name": "株式会社別物"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-2",
    )
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert not Client.objects.filter(name="株式会社別物").exists()


def test_a_case_create_replay_does_not_use_up_a_case_number(cast, api_as):
    client = ClientFactory()
    body = {"desk": "yorozu", "client": client.pk, "title": "資金繰り", "intake_channel": "phone"}
    api = api_as(cast.counselor)
    first = api.post("/api/v1/cases/", body, format="json", HTTP_IDEMPOTENCY_KEY="case-1")
    again = api.post("/api/v1/cases/", body, format="json", HTTP_IDEMPOTENCY_KEY="case-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["number"] == first.json()["number"]
    assert Case.objects.filter(client=client).count() == 1


def test_a_session_create_replay_logs_one_session(cast, api_as):
    case = CaseFactory(status="active", lead_counselor=cast.counselor)
    body = {
        "case": case.pk,
        "started_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        "duration_minutes": 30,
        "mode": "phone",
        "summary": "電話で相談",
    }
    api = api_as(cast.counselor)
    for _ in range(3):
        response = api.post("/api/v1/sessions/", body, format="json", HTTP_IDEMPOTENCY_KEY="s-1")
        assert response.status_code == 201
    assert ConsultationSession.objects.filter(case=case).count() == 1


def test_keys_belong_to_one_user(cast, api_as):
    api_as(cast.counselor).post("/api/v1/clients/", CLIENT, format="json", HTTP_IDEMPOTENCY_KEY="k")
    response = api_as(cast.coordinator).post(
        "/api/v1/clients/",
        {**CLIENT, "name": "株式会社他人", "phone": ""},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert response.status_code == 201
    assert response.json()["name"] == "株式会社他人"


def test_a_failed_create_is_not_remembered_so_the_corrected_request_goes_through(cast, api_as):
    api = api_as(cast.counselor)
    bad = api.post(
        "/api/v1/clients/",
        {**CLIENT, "corporate_number": "1234567890123"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-3",
    )
    assert bad.status_code == 400
    good = api.post("/api/v1/clients/", CLIENT, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert good.status_code == 201


def test_a_key_older_than_24_hours_no_longer_replays(cast, api_as):
    api = api_as(cast.counselor)
    api.post("/api/v1/clients/", CLIENT, format="json", HTTP_IDEMPOTENCY_KEY="old")
    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    response = api.post(
        "/api/v1/clients/",
        {**CLIENT, "allow_duplicate": True},
        format="json",
        HTTP_IDEMPOTENCY_KEY="old",
    )
    assert response.status_code == 201
    assert Client.objects.filter(name="株式会社冪等").count() == 2


def test_purging_removes_only_expired_records(cast, api_as):
    api = api_as(cast.counselor)
    api.post("/api/v1/clients/", CLIENT, format="json", HTTP_IDEMPOTENCY_KEY="a")
    api.post(
        "/api/v1/clients/",
        {**CLIENT, "name": "株式会社二"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="b",
    )
    IdempotencyRecord.objects.filter(key="a").update(
        created_at=timezone.now() - dt.timedelta(days=2)
    )
    assert idempotency_records_purge() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["b"]


def test_the_purge_command_reports_what_it_deleted(cast, api_as):
    api_as(cast.counselor).post("/api/v1/clients/", CLIENT, format="json", HTTP_IDEMPOTENCY_KEY="x")
    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(days=3))
    out = io.StringIO()
    call_command("purge_idempotency_keys", stdout=out)
    assert out.getvalue().startswith("1 ")
    assert not IdempotencyRecord.objects.exists()


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_parallel_creates_with_one_key_create_one_client(cast):
    barrier = threading.Barrier(2)
    responses: list[tuple[int, dict]] = []

    def create() -> None:
        api = APIClient()
        api.force_authenticate(user=cast.counselor)
        try:
            barrier.wait(timeout=10)
            response = api.post(
                "/api/v1/clients/", CLIENT, format="json", HTTP_IDEMPOTENCY_KEY="race"
            )
            responses.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert [status for status, _ in responses] == [201, 201]
    assert responses[0][1]["id"] == responses[1][1]["id"]
    assert Client.objects.filter(name="株式会社冪等").count() == 1
