"""The case page's getter: the case, its related rows and its sets, read by a statement
compiled once per login's facts (`selectors.case_page_get_for_user`): for every login of the
cast and every case, the statements and the case the getter built for the request gives, and
404 where the login may not see the case or no case has the id."""

from __future__ import annotations

from collections import OrderedDict

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from casebook.accounts.models import DeskRole
from casebook.intake import policy, selectors, services
from casebook.intake.models import Topic
from casebook.intake.selectors import cases as case_selectors
from tests.factories import CaseFactory, desk, member

RELATED = ("desk", "client", "lead_counselor", "intake_office", "ip", "subcontract")


@pytest.fixture(autouse=True)
def _nothing_kept_from_before(monkeypatch) -> None:
    monkeypatch.setattr(policy, "_BUILT_FOR_VIEWERS", OrderedDict())


@pytest.fixture
def every_kind_of_case(cast) -> list:
    dispute_lead = member("subcontract", DeskRole.COORDINATOR, username="kakekomi")
    dispute = CaseFactory(desk=desk("subcontract"), lead_counselor=dispute_lead, status="active")
    services.subcontract_details_update(case=dispute, by=dispute_lead, counterpart_company="親会社")
    led = CaseFactory(lead_counselor=cast.counselor, status="active")
    services.case_update(
        case=led,
        by=cast.coordinator,
        expected_version=None,
        topics=list(Topic.objects.values_list("code", flat=True)[:2]),
        co_counselors=[cast.coordinator],
    )
    restricted = CaseFactory(confidentiality="restricted", lead_counselor=cast.exit_team)
    anonymous = CaseFactory(client=None, desk=desk("subcontract"), status="intake")
    return [dispute, led, restricted, anonymous]


def _read(user, pk) -> tuple[object, list[str]]:
    """What the getter answers (the case's columns, related rows and sets, or 404) and the
    statements it sent."""
    with CaptureQueriesContext(connection) as sent:
        try:
            case = selectors.case_page_get_for_user(user=user, pk=pk)
        except Http404:
            return "404", [query["sql"] for query in sent]
    answer = (
        {field.attname: getattr(case, field.attname) for field in case._meta.concrete_fields},
        {
            name: getattr(case, name, None) and getattr(case, name).pk
            for name in RELATED
            if name in case._state.fields_cache
        },
        [topic.code for topic in case.topics.all()],
        [user.pk for user in case.co_counselors.all()],
    )
    return answer, [query["sql"] for query in sent]


def test_every_login_reads_every_case_as_the_getter_built_for_the_request(
    cast, every_kind_of_case, monkeypatch
):
    ids = [case.pk for case in every_kind_of_case] + [max(c.pk for c in every_kind_of_case) + 9]
    seen = 0
    for user in vars(cast).values():
        policy.desk_roles(user)  # the login's memberships: read once per login object
        compiled_once = [_read(user, pk) for pk in ids]
        with monkeypatch.context() as built:
            built.setattr(case_selectors, "_case_page_read", lambda user: None)
            assert [_read(user, pk) for pk in ids] == compiled_once, user.username
        seen += sum(answer != "404" for answer, _ in compiled_once)
    # The manager and the auditor see all four; the others some.
    assert seen > 8
    assert any(read is not None for read in policy._BUILT_FOR_VIEWERS.values())


def test_a_case_page_reads_the_case_and_its_two_sets_in_three_queries(cast, every_kind_of_case):
    led = every_kind_of_case[1]
    policy.desk_roles(cast.counselor)
    selectors.case_page_get_for_user(user=cast.counselor, pk=led.pk)
    with CaptureQueriesContext(connection) as sent:
        case = selectors.case_page_get_for_user(user=cast.counselor, pk=led.pk)
        assert len(case.topics.all()) == 2
        assert [user.pk for user in case.co_counselors.all()] == [cast.coordinator.pk]
        assert case.client.pk == led.client_id and case.desk.code == "yorozu"
    assert len(sent) == 3


@pytest.mark.parametrize("pk", [0, -1, 2**63, 10**30, "forty-two", None])
def test_an_id_no_case_can_have_is_a_404(cast, every_kind_of_case, pk):
    with pytest.raises(Http404):
        selectors.case_page_get_for_user(user=cast.manager, pk=pk)


def test_a_login_given_a_desk_sees_its_cases_on_the_next_read(cast, every_kind_of_case):
    dispute = every_kind_of_case[0]
    counselor = member("yorozu", DeskRole.COUNSELOR, username="newcomer")
    with pytest.raises(Http404):
        selectors.case_page_get_for_user(user=counselor, pk=dispute.pk)
    counselor.memberships.create(desk=desk("subcontract"), role=DeskRole.COUNSELOR)
    counselor = type(counselor).objects.get(pk=counselor.pk)
    assert selectors.case_page_get_for_user(user=counselor, pk=dispute.pk).pk == dispute.pk
