"""ETags and If-Match: stale edits are refused, missing preconditions too, nothing is lost."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from casebook.intake.models import Case, Client
from tests.factories import CaseFactory, ClientFactory
from tests.markers import needs_postgres


def test_a_read_carries_the_version_as_etag(cast, api_as):
    case = CaseFactory(status="intake")
    response = api_as(cast.counselor).get(f"/api/v1/cases/{case.pk}/")
    assert response.status_code == 200
    assert response["ETag"] == f'"{case.version}"'


def test_a_patch_without_if_match_answers_428_and_changes_nothing(cast, api_as):
    client = ClientFactory(name="株式会社元の名前")
    response = api_as(cast.counselor).patch(
        f"/api/v1/clients/{client.pk}/", {"name": "株式会社新しい名前"}, format="json"
    )
    assert response.status_code == 428
    assert response.json()["type"] == "precondition_required"
    assert Client.objects.get(pk=client.pk).name == "株式会社元の名前"


def test_a_put_with_a_stale_etag_answers_412_and_changes_nothing(cast, api_as):
    case = CaseFactory(status="intake", title="元の件名")
    Case.objects.filter(pk=case.pk).update(version=3)
    response = api_as(cast.coordinator).put(
        f"/api/v1/cases/{case.pk}/",
        {
            "title": "新しい件名",
            "topics": ["finance"],
            "priority": "high",
            "confidentiality": "normal",
            "co_counselors": [],
        },
        format="json",
        HTTP_IF_MATCH='"2"',
    )
    assert response.status_code == 412
    assert response.json()["code"] == "stale_version"
    assert Case.objects.get(pk=case.pk).title == "元の件名"


def test_a_patch_with_the_current_etag_saves_and_returns_the_next_etag(cast, api_as):
    case = CaseFactory(status="intake", title="元の件名")
    api = api_as(cast.coordinator)
    etag = api.get(f"/api/v1/cases/{case.pk}/")["ETag"]
    response = api.patch(
        f"/api/v1/cases/{case.pk}/", {"title": "新しい件名"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200
    assert response.json()["title"] == "新しい件名"
    assert response["ETag"] == f'"{case.version + 1}"'
    again = api.patch(
        f"/api/v1/cases/{case.pk}/", {"title": "三度目"}, format="json", HTTP_IF_MATCH=etag
    )
    assert again.status_code == 412


def test_if_match_star_does_not_bypass_the_version_check(cast, api_as):
    client = ClientFactory()
    response = api_as(cast.counselor).patch(
        f"/api/v1/clients/{client.pk}/", {"name": "別名"}, format="json", HTTP_IF_MATCH="*"
    )
    assert response.status_code == 428


def test_a_transition_with_a_stale_if_match_is_refused(cast, api_as):
    case = CaseFactory(status="active", lead_counselor=cast.counselor)
    response = api_as(cast.counselor).post(
        f"/api/v1/cases/{case.pk}/hold/",
        {"reason": "資料待ち", "resume_by": "2099-01-01"},
        format="json",
        HTTP_IF_MATCH=f'"{case.version + 5}"',
    )
    assert response.status_code == 412
    assert Case.objects.get(pk=case.pk).status == "active"


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_parallel_patches_with_the_same_etag_one_wins_one_gets_412(cast):
    client = ClientFactory(name="株式会社並行", phone="")
    etag = f'"{client.version}"'
    barrier = threading.Barrier(2)
    results: dict[str, int] = {}

    def patch(name: str, user) -> None:
        api = APIClient()
        api.force_authenticate(user=user)
        try:
            barrier.wait(timeout=10)
            response = api.patch(
                f"/api/v1/clients/{client.pk}/",
                {"representative": name},
                format="json",
                HTTP_IF_MATCH=etag,
            )
            results[name] = response.status_code
        finally:
            connection.close()

    threads = [
        threading.Thread(target=patch, args=("山田", cast.counselor)),
        threading.Thread(target=patch, args=("佐藤", cast.coordinator)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results.values()) == [200, 412]
    winner = next(name for name, code in results.items() if code == 200)
    stored = Client.objects.get(pk=client.pk)
    assert stored.representative == winner
    assert stored.version == client.version + 1
    assert stored.history.count() == 2  # the creation and exactly one update


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_parallel_transitions_with_the_same_etag_one_wins_one_gets_412(cast):
    """If-Match on an action is checked under the case row lock: a hold and a close sent
    against the same version cannot both pass (the close would act on a case it never saw
    held)."""
    case = CaseFactory(status="active", lead_counselor=cast.counselor)
    etag = f'"{case.version}"'
    barrier = threading.Barrier(2)
    results: dict[str, int] = {}
    bodies = {
        "hold": {"reason": "資料待ち", "resume_by": "2099-01-01"},
        "close": {"reason": "resolved", "summary": "解決した"},
    }

    def act(action: str, user) -> None:
        api = APIClient()
        api.force_authenticate(user=user)
        try:
            barrier.wait(timeout=10)
            response = api.post(
                f"/api/v1/cases/{case.pk}/{action}/",
                bodies[action],
                format="json",
                HTTP_IF_MATCH=etag,
            )
            results[action] = response.status_code
        finally:
            connection.close()

    threads = [
        threading.Thread(target=act, args=("hold", cast.counselor)),
        threading.Thread(target=act, args=("close", cast.coordinator)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results.values()) == [200, 412]
    winner = next(action for action, code in results.items() if code == 200)
    stored = Case.objects.get(pk=case.pk)
    assert stored.status == {"hold": "on_hold", "close": "closed"}[winner]
    assert stored.version == case.version + 1
