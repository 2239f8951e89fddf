"""The visibility rules on loaded facts (`policy.viewer_sees_case`, `viewer_sees_desk`) that
the board socket decides with answer exactly as `can_see_case` and `can_see_desk` do."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from casebook.accounts.models import Desk
from casebook.intake import policy
from casebook.intake.models import Case, CaseShare
from casebook.intake.selectors.live import case_event_payload
from tests.factories import CaseFactory, UserFactory, desk, member


def _cases(cast) -> list[Case]:
    """Normal, confidential and restricted cases at two desks; led by, co-counselled by and
    shared with members of the cast."""
    cases = []
    for code in ("yorozu", "ip"):
        for level in ("normal", "confidential", "restricted"):
            cases.append(CaseFactory(desk=desk(code), confidentiality=level))
            cases.append(
                CaseFactory(
                    desk=desk(code),
                    confidentiality=level,
                    status="assigned",
                    lead_counselor=cast.colleague,
                )
            )
            helped = CaseFactory(desk=desk(code), confidentiality=level)
            helped.co_counselors.add(cast.counselor)
            cases.append(helped)
            shared = CaseFactory(desk=desk("ip"), confidentiality=level)
            CaseShare.objects.create(case=shared, desk=desk("yorozu"))
            cases.append(shared)
    return cases


def _people(cast) -> list:
    people = [getattr(cast, name) for name in vars(cast)]
    gone = member("yorozu", username="gone")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    return [*people, gone, member("ip", "coordinator", username="ipcoord2")]


def _viewer(user) -> policy.Viewer:
    return policy.viewers_of([user])[user.pk]


def test_the_pure_case_rule_agrees_with_can_see_case_for_the_cast(cast):
    cases = _cases(cast)
    people = _people(cast)

    for case in cases:
        facts = policy.CaseFacts.from_message(case_event_payload(case_id=case.pk)["facts"])
        for person in people:
            fresh = get_user_model().objects.get(pk=person.pk)
            assert policy.viewer_sees_case(_viewer(fresh), facts) == policy.can_see_case(
                fresh, Case.objects.get(pk=case.pk)
            ), (person.username, case.desk.code, case.confidentiality)


def test_the_pure_desk_rule_agrees_with_can_see_desk_for_the_cast(cast):
    people = _people(cast)
    closed = Desk.objects.get(code="trade")
    closed.active = False
    closed.save(update_fields=["active"])

    for one in Desk.objects.all():
        for person in people:
            fresh = get_user_model().objects.get(pk=person.pk)
            assert policy.viewer_sees_desk(
                _viewer(fresh), desk_id=one.pk, desk_active=one.active
            ) == policy.can_see_desk(fresh, one), (person.username, one.code)


def test_a_membership_that_ended_or_a_closed_desk_gives_no_role(cast):
    coordinator = _viewer(cast.coordinator)
    assert desk("yorozu").pk in coordinator.desks
    cast.coordinator.memberships.update(active=False)

    assert _viewer(cast.coordinator).desks == frozenset()
    assert _viewer(UserFactory()).desk_roles == {}


def test_the_facts_travel_as_plain_values_and_come_back_the_same(cast):
    case = CaseFactory(desk=desk("yorozu"), confidentiality="restricted")
    case.co_counselors.add(cast.counselor)
    CaseShare.objects.create(case=case, desk=desk("ip"))

    message = case_event_payload(case_id=case.pk)
    facts = policy.CaseFacts.from_message(message["facts"])

    assert message["facts"]["co_counselor_ids"] == [cast.counselor.pk]
    assert facts.shared_desk_ids == {desk("ip").pk}
    assert facts.confidentiality == "restricted" and facts.desk_active
    assert message["case"]["number"] == case.number
    assert case_event_payload(case_id=case.pk + 1000) is None
