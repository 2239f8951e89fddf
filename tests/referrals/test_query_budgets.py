"""Query budgets of every referrals screen and endpoint (docs/architecture.md, "Query budgets").

Each is measured as its users send it (a logged-in browser; an integration with a token) on a
desk with many referrals; the lists must cost the same for a few rows and for many.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as WebClient
from django.utils import timezone

from casebook.referrals.models import Referral
from tests import factories
from tests.factories import (
    PartnerFactory,
    SessionFactory,
    api_as,
    case_in_state,
    count_queries,
    desk,
    refer_external,
    refer_internal,
)

# The most queries each may cost (measured: see docs/architecture.md, "Query budgets"). A page
# pays the session and the login (2), the memberships (1) and the nav's unread count (1); an
# API call the token (1) and the memberships (1); then the rows, and for a write its lock,
# checks, save and history row, and the notifications of the people it names (3). The writes
# that open or close a case (refer, decline) keep 2 in hand for the case services.
PAGE_BUDGET = 9
BOARD_BUDGET = 18  # the core board reads each column on its own on SQLite (docs/performance.md)
LIST_API_BUDGET = 4
WEB_ANSWER_BUDGETS = {"accept": 13, "decline": 27 + 2}
API_ANSWER_BUDGETS = {"accept": 15, "decline": 29 + 2, "acknowledge": 12, "report-outcome": 12}
CHECKLIST_PATCH_BUDGET = 9
CREATE_BUDGET = 48 + 2


def refer_many(cast, how_many: int) -> list[Referral]:
    """`how_many` yorozu cases, each referred to the ip desk (every other one sharing its
    file, with a session) and to a partner; a third of them overdue."""
    made = []
    for n in range(how_many):
        case = case_in_state(
            "active", lead=cast.counselor, by=cast.coordinator, topics=["finance", "marketing"]
        )
        SessionFactory(case=case)
        made.append(refer_internal(case, "ip", by=cast.counselor, share_full_file=n % 2 == 0))
        made.append(refer_external(case, PartnerFactory(), by=cast.counselor))
    overdue = [r.pk for r in made[::3]]
    Referral.objects.filter(pk__in=overdue).update(
        due_on=timezone.localdate() - dt.timedelta(days=2)
    )
    return made


def web_as(user) -> WebClient:
    return factories.web_as(user, first_visit="/referrals/partners/")


def same_for_few_and_many(cast, send, *, budget: int, expect: int = 200) -> int:
    """The queries of `send()` with 3 referred cases and with 15: the same, within budget."""
    refer_many(cast, 3)
    few, response = count_queries(send)
    assert response.status_code == expect, getattr(response, "content", b"")[:500]
    refer_many(cast, 12)
    many, response = count_queries(send)
    assert response.status_code == expect
    assert few == many, f"{few} queries with 3 cases, {many} with 15"
    assert many <= budget, f"{many} queries, budget {budget}"
    return many


@pytest.mark.parametrize(
    ("who", "code"), [("ip_coordinator", "ip"), ("coordinator", "yorozu"), ("manager", "ip")]
)
def test_a_desks_referral_page_costs_the_same_for_few_and_many(cast, ip_coordinator, who, code):
    user = ip_coordinator if who == "ip_coordinator" else getattr(cast, who)
    web = web_as(user)

    same_for_few_and_many(cast, lambda: web.get(f"/referrals/desks/{code}/"), budget=PAGE_BUDGET)


def test_the_desk_boards_referral_lists_cost_the_same_for_few_and_many(cast, ip_coordinator):
    web = web_as(ip_coordinator)

    same_for_few_and_many(cast, lambda: web.get("/desks/ip/board/"), budget=BOARD_BUDGET)


@pytest.mark.parametrize("who", ["ip_coordinator", "counselor", "manager"])
def test_a_referral_page_stays_within_its_budget(
    cast, ip_coordinator, who, django_assert_max_num_queries
):
    user = ip_coordinator if who == "ip_coordinator" else getattr(cast, who)
    referral = refer_many(cast, 15)[0]
    web = web_as(user)

    with django_assert_max_num_queries(PAGE_BUDGET):
        response = web.get(f"/referrals/{referral.pk}/")
    assert response.status_code == 200


def test_the_refer_page_stays_within_its_budget(cast, django_assert_max_num_queries):
    case = refer_many(cast, 15)[0].from_case
    web = web_as(cast.counselor)

    with django_assert_max_num_queries(PAGE_BUDGET):
        assert web.get(f"/referrals/new/?case={case.pk}").status_code == 200


def test_referring_from_the_page_stays_within_its_budget(cast, django_assert_max_num_queries):
    refer_many(cast, 3)
    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator, topics=["finance"])
    web = web_as(cast.counselor)
    data = {"kind": "internal", "to_desk": desk("ip").pk, "handoff_note": "商標の相談です"}

    with django_assert_max_num_queries(CREATE_BUDGET):
        response = web.post(f"/referrals/new/?case={case.pk}", data)
    assert response.status_code == 302


@pytest.mark.parametrize("name", ["accept", "decline"])
def test_answering_on_the_page_stays_within_its_budget(
    cast, ip_coordinator, name, django_assert_max_num_queries
):
    referral = refer_many(cast, 15)[0]
    web = web_as(ip_coordinator)

    # Declining also closes the case opened for the referral.
    with django_assert_max_num_queries(WEB_ANSWER_BUDGETS[name]):
        response = web.post(f"/referrals/{referral.pk}/{name}/", {"reason": "対象外"})
    assert response.status_code == 302


def test_the_reports_and_their_csv_stay_within_their_budget(cast, django_assert_max_num_queries):
    refer_many(cast, 15)
    web = web_as(cast.manager)

    for url in (
        "/referrals/reports/",
        "/referrals/reports/desks.csv",
        "/referrals/reports/partners.csv",
    ):
        with django_assert_max_num_queries(PAGE_BUDGET):
            assert web.get(url).status_code == 200


def test_the_partner_registry_page_stays_within_its_budget(cast, django_assert_max_num_queries):
    refer_many(cast, 15)
    web = web_as(cast.counselor)

    with django_assert_max_num_queries(PAGE_BUDGET):
        assert web.get("/referrals/partners/").status_code == 200


# --- the API ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["ip_coordinator", "counselor", "manager"])
def test_the_referral_list_costs_the_same_for_few_and_many(cast, ip_coordinator, who):
    user = ip_coordinator if who == "ip_coordinator" else getattr(cast, who)
    api = api_as(user)

    same_for_few_and_many(cast, lambda: api.get("/api/v1/referrals/"), budget=LIST_API_BUDGET)


def test_the_partner_list_costs_the_same_for_few_and_many(cast):
    api = api_as(cast.counselor)

    same_for_few_and_many(cast, lambda: api.get("/api/v1/partners/"), budget=LIST_API_BUDGET)


def test_a_referral_read_through_the_api_stays_within_its_budget(
    cast, ip_coordinator, django_assert_max_num_queries
):
    referral = refer_many(cast, 15)[0]
    api = api_as(ip_coordinator)

    with django_assert_max_num_queries(LIST_API_BUDGET):
        assert api.get(f"/api/v1/referrals/{referral.pk}/").status_code == 200


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("accept", {}),
        ("decline", {"reason": "対象外"}),
        ("acknowledge", {"partner_contact": "担当"}),
        ("report-outcome", {"outcome": "商談成立"}),
    ],
)
def test_an_answer_through_the_api_stays_within_its_budget(
    cast, ip_coordinator, name, payload, django_assert_max_num_queries
):
    made = refer_many(cast, 15)
    internal = name in ("accept", "decline")
    referral = made[0] if internal else made[1]
    api = api_as(ip_coordinator if internal else cast.counselor)

    with django_assert_max_num_queries(API_ANSWER_BUDGETS[name]):
        response = api.post(
            f"/api/v1/referrals/{referral.pk}/{name}/",
            payload,
            format="json",
            HTTP_IF_MATCH=f'"{referral.version}"',
        )
    assert response.status_code == 200, response.content


def test_a_checklist_patch_stays_within_its_budget(cast, django_assert_max_num_queries):
    referral = refer_many(cast, 15)[1]
    api = api_as(cast.counselor)

    with django_assert_max_num_queries(CHECKLIST_PATCH_BUDGET):
        response = api.patch(
            f"/api/v1/referrals/{referral.pk}/",
            {"documents_passed": "決算書"},
            format="json",
            HTTP_IF_MATCH=f'"{referral.version}"',
        )
    assert response.status_code == 200, response.content


def test_a_referral_created_through_the_api_stays_within_its_budget(
    cast, django_assert_max_num_queries
):
    refer_many(cast, 3)
    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator, topics=["finance"])
    api = api_as(cast.counselor)

    with django_assert_max_num_queries(CREATE_BUDGET):
        response = api.post(
            "/api/v1/referrals/",
            {"kind": "internal", "from_case": case.pk, "to_desk": "ip", "handoff_note": "商標"},
            format="json",
        )
    assert response.status_code == 201, response.content
