from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from casebook.accounts.models import OrgRole
from tests.factories import UserFactory, case_in_state

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)


@pytest.fixture
def admin_client(client, db):
    user = UserFactory(
        username="sysadmin", org_role=OrgRole.ADMIN, is_staff=True, is_superuser=True
    )
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_every_model_has_a_working_admin_list(admin_client, cast, model):
    case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert admin_client.get(url).status_code == 200


def test_a_case_shows_its_history_with_the_acting_users(admin_client, cast):
    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    page = admin_client.get(reverse("admin:intake_case_history", args=[case.pk]))
    assert page.status_code == 200
    assert str(cast.coordinator) in page.content.decode()


def test_a_cases_history_page_shows_a_change_of_its_topics(admin_client, cast):
    from casebook.intake import services

    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator, topics=["finance"])
    services.case_update(
        case=case, by=cast.coordinator, expected_version=None, topics=["finance", "grants"]
    )
    page = admin_client.get(reverse("admin:intake_case_history", args=[case.pk]))
    assert page.status_code == 200
    assert "finance, grants" in page.content.decode()
