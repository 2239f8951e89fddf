from __future__ import annotations

import datetime as dt

from django.utils import timezone

from casebook.intake import services
from tests.factories import case_in_state
from tests.web.conftest import login


def test_my_cases_lists_the_cases_i_lead_or_co_counsel_and_no_others(cast, client):
    mine = case_in_state("active", lead=cast.counselor, by=cast.coordinator, title="主担当の案件")
    shared = case_in_state("active", lead=cast.coordinator, by=cast.coordinator, title="副担当")
    services.case_update(
        case=shared, by=cast.coordinator, expected_version=None, co_counselors=[cast.counselor]
    )
    case_in_state("active", lead=cast.coordinator, by=cast.coordinator, title="他人の案件")
    page = login(client, cast.counselor).get("/").content.decode()
    assert mine.number in page and "主担当の案件" in page
    assert shared.number in page
    assert "他人の案件" not in page


def test_a_due_follow_up_is_listed_and_flagged_when_overdue(cast, client):
    case = case_in_state("assigned", lead=cast.counselor, by=cast.coordinator)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    services.session_log(
        case=case,
        by=cast.counselor,
        started_at=timezone.now() - dt.timedelta(days=3),
        duration_minutes=30,
        mode="phone",
        summary="電話で確認",
        follow_up_on=yesterday,
    )
    page = login(client, cast.counselor).get("/").content.decode()
    follow_ups = page[page.index('id="follow-ups-title"') : page.index('id="holds-title"')]
    assert case.number in follow_ups
    assert f"{yesterday.year}年{yesterday.month}月{yesterday.day}日" in follow_ups
    assert 'class="flag"' in follow_ups


def test_a_later_session_without_a_follow_up_clears_the_earlier_one(cast, client):
    case = case_in_state("assigned", lead=cast.counselor, by=cast.coordinator)
    for days_ago, follow_up in ((3, timezone.localdate() - dt.timedelta(days=1)), (0, None)):
        services.session_log(
            case=case,
            by=cast.counselor,
            started_at=timezone.now() - dt.timedelta(days=days_ago, minutes=5),
            duration_minutes=30,
            mode="phone",
            summary="確認",
            follow_up_on=follow_up,
        )
    page = login(client, cast.counselor).get("/").content.decode()
    follow_ups = page[page.index('id="follow-ups-title"') : page.index('id="holds-title"')]
    assert case.number not in follow_ups


def test_a_hold_due_to_resume_soon_is_listed(cast, client):
    held = case_in_state("on_hold", lead=cast.counselor, by=cast.coordinator)
    page = login(client, cast.counselor).get("/").content.decode()
    holds = page[page.index('id="holds-title"') : page.index('id="mine-title"')]
    assert held.number in holds
    assert "資料待ち" in holds


def test_a_closed_case_is_not_among_my_open_cases(cast, client):
    closed = case_in_state("closed", lead=cast.counselor, by=cast.coordinator)
    page = login(client, cast.counselor).get("/").content.decode()
    assert closed.number not in page


def test_the_home_page_offers_the_boards_of_my_desks_only(cast, client):
    page = login(client, cast.colleague).get("/").content.decode()
    assert "/desks/ip/board/" in page
    assert "/desks/yorozu/board/" not in page


def test_the_nav_offers_the_intake_only_to_those_who_take_intakes(cast, client):
    assert 'href="/intake/"' in login(client, cast.counselor).get("/").content.decode()
    assert 'href="/intake/"' not in login(client, cast.auditor).get("/").content.decode()


def test_an_expert_login_goes_to_the_dispatch_desk_and_sees_no_case_screens(db, client):
    from tests.factories import UserFactory
    from tests.factories.experts import ExpertFactory

    user = UserFactory(username="expert")
    ExpertFactory(user=user)
    response = login(client, user).get("/")
    assert response.status_code == 302
    assert response.url == "/dispatch/"
    page = client.get("/dispatch/").content.decode()
    assert 'href="/intake/"' not in page
    assert 'action="/search/"' not in page


def test_my_cases_are_paged_fifty_at_a_time(cast, client):
    from casebook.intake.models import Case
    from tests.factories import CaseFactory, ClientFactory, desk

    company = ClientFactory()
    Case.objects.bulk_create(
        CaseFactory.build(
            desk=desk("yorozu"), client=company, status="active", lead_counselor=cast.counselor
        )
        for _ in range(55)
    )
    first = Case.objects.order_by("opened_at", "id").first()
    web = login(client, cast.counselor)
    page_one = web.get("/").content.decode()
    page_two = web.get("/?page=2").content.decode()
    assert page_one.count('href="/cases/') >= 50
    assert 'rel="next"' in page_one and "page=2" in page_one
    assert 'rel="prev"' in page_two
    assert first.number in page_one
    assert first.number not in page_two


def test_each_row_of_my_cases_links_its_case_and_its_client(cast, client):
    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator, title="リンクの案件")
    page = login(client, cast.counselor).get("/").content.decode()
    row = page[page.index(f'href="/cases/{case.pk}/"') :]
    row = row[: row.index("</tr>")]
    assert f'href="/clients/{case.client_id}/">{case.client.name}</a>' in row
