from __future__ import annotations

import datetime as dt

import pytest

from casebook.intake.models import ClientOutcome
from tests.web.conftest import login


@pytest.mark.parametrize("who", ["counselor", "colleague", "coordinator", "manager", "auditor"])
def test_staff_open_the_client_page(cast, client, active_case, who):
    response = login(client, getattr(cast, who)).get(f"/clients/{active_case.client.pk}/")
    assert response.status_code == 200
    assert active_case.client.name in response.content.decode()


def test_a_login_without_a_role_gets_404(cast, client, active_case):
    assert login(client, cast.outsider).get(f"/clients/{active_case.client.pk}/").status_code == 404


def test_an_unknown_client_answers_404(cast, client):
    assert login(client, cast.manager).get("/clients/987654/").status_code == 404


def test_the_client_page_lists_only_the_cases_the_user_may_see(cast, client, active_case):
    page = login(client, cast.colleague).get(f"/clients/{active_case.client.pk}/").content.decode()
    assert active_case.number not in page
    page = login(client, cast.counselor).get(f"/clients/{active_case.client.pk}/").content.decode()
    assert active_case.number in page


def test_a_restricted_case_never_shows_on_another_users_client_page(cast, client, restricted_case):
    client_pk = restricted_case.client.pk
    page = login(client, cast.counselor).get(f"/clients/{client_pk}/").content.decode()
    assert restricted_case.number not in page
    page = login(client, cast.exit_team).get(f"/clients/{client_pk}/").content.decode()
    assert restricted_case.number in page


def test_outcomes_show_over_time_leaving_out_those_of_hidden_cases(
    cast, client, active_case, restricted_case
):
    company = active_case.client
    ClientOutcome.objects.create(
        client=company, reported_on=dt.date(2025, 3, 31), sales_yen=120_000_000, employees=30
    )
    ClientOutcome.objects.create(
        client=company,
        case=active_case,
        reported_on=dt.date(2026, 3, 31),
        sales_yen=150_000_000,
        employees=34,
    )
    ClientOutcome.objects.create(
        client=company, case=restricted_case, reported_on=dt.date(2026, 6, 30), note="秘匿"
    )
    page = login(client, cast.counselor).get(f"/clients/{company.pk}/").content.decode()
    outcomes = page[page.index('id="outcomes-title"') :]
    assert outcomes.index("2025年3月31日") < outcomes.index("2026年3月31日")
    assert "150,000,000円" in outcomes
    assert "秘匿" not in outcomes


def test_the_client_page_pages_the_clients_cases_newest_first(cast, client):
    import datetime as dt

    from django.utils import timezone

    from casebook.intake.models import Case
    from tests.factories import CaseFactory, ClientFactory, desk

    company = ClientFactory()
    now = timezone.now()
    Case.objects.bulk_create(
        CaseFactory.build(desk=desk("yorozu"), client=company, opened_at=now - dt.timedelta(days=n))
        for n in range(53)
    )
    newest = Case.objects.order_by("-opened_at").first()
    oldest = Case.objects.order_by("opened_at").first()
    web = login(client, cast.coordinator)
    page_one = web.get(f"/clients/{company.pk}/").content.decode()
    page_two = web.get(f"/clients/{company.pk}/?page=2").content.decode()
    assert newest.number in page_one and oldest.number not in page_one
    assert oldest.number in page_two and newest.number not in page_two
    assert 'rel="next"' in page_one


def test_the_client_page_links_each_case_and_each_outcomes_case(cast, client, active_case):
    company = active_case.client
    ClientOutcome.objects.create(
        client=company, case=active_case, reported_on=dt.date(2026, 3, 31), sales_yen=1_000
    )
    page = login(client, cast.counselor).get(f"/clients/{company.pk}/").content.decode()
    link = f'<a href="/cases/{active_case.pk}/">{active_case.number}</a>'
    cases, outcomes = page.split('id="outcomes-title"')
    assert link in cases[cases.index('id="cases-title"') :]
    assert link in outcomes
