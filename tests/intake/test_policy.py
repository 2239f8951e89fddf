from __future__ import annotations

import pytest
from django.utils import translation

from casebook.accounts.models import DeskMembership, DeskRole
from casebook.common.errors import ActionNotPermitted
from casebook.intake import policy
from casebook.intake.models import (
    AccessLog,
    Case,
    CaseSearchGrams,
    CaseShare,
    ConsultationSession,
)
from casebook.intake.selectors import case_get_for_user
from tests.factories import CaseFactory, SessionFactory, desk, member
from tests.markers import needs_postgres

ROLES = ["counselor", "colleague", "coordinator", "manager", "auditor", "exit_team", "outsider"]

# (role, confidentiality, desk of the case) -> may see. "own" is yorozu (the counselor's desk),
# "other" is ip (the colleague's desk).
SEES = {
    "normal": {
        "own": {"counselor", "coordinator", "manager", "auditor", "exit_team"},
        "other": {"colleague", "manager", "auditor"},
    },
    "confidential": {
        "own": {"counselor", "coordinator", "manager", "auditor", "exit_team"},
        "other": {"colleague", "manager", "auditor"},
    },
    "restricted": {
        "own": {"manager", "exit_team"},
        "other": {"manager", "exit_team"},
    },
}
MATRIX = [
    (role, level, where, role in SEES[level][where])
    for role in ROLES
    for level in SEES
    for where in ("own", "other")
]


@pytest.mark.parametrize(("role", "level", "where", "sees"), MATRIX)
def test_visibility_matrix(cast, role, level, where, sees):
    case = CaseFactory(desk=desk("yorozu" if where == "own" else "ip"), confidentiality=level)
    user = getattr(cast, role)
    assert policy.can_see_case(user, case) is sees
    assert policy.cases_visible_to(user).filter(pk=case.pk).exists() is sees


@pytest.mark.parametrize("level", ["normal", "confidential", "restricted"])
def test_the_assigned_counselor_sees_the_case_whatever_its_level_or_desk(cast, level):
    case = CaseFactory(
        desk=desk("ip"), confidentiality=level, status="assigned", lead_counselor=cast.counselor
    )
    assert policy.can_see_case(cast.counselor, case)
    assert policy.cases_visible_to(cast.counselor).filter(pk=case.pk).exists()


def test_a_co_counselor_sees_the_case(cast):
    case = CaseFactory(desk=desk("ip"), confidentiality="confidential")
    case.co_counselors.add(cast.counselor)
    assert policy.cases_visible_to(cast.counselor).filter(pk=case.pk).exists()


def test_an_inactive_user_sees_nothing(cast):
    case = CaseFactory()
    cast.manager.is_active = False
    assert not policy.can_see_case(cast.manager, case)
    assert not policy.cases_visible_to(cast.manager).exists()


def test_a_case_the_user_may_not_see_answers_404(cast):
    from django.http import Http404

    case = CaseFactory(desk=desk("ip"))
    with pytest.raises(Http404):
        case_get_for_user(user=cast.counselor, pk=case.pk)


def test_the_case_getter_writes_no_access_log(cast):
    case = CaseFactory(confidentiality="restricted")
    assert case_get_for_user(user=cast.exit_team, pk=case.pk) == case
    assert not AccessLog.objects.exists()


ACTION_GRANTS = {
    # action: roles allowed on an assigned yorozu case led by `counselor` (not on the exit track)
    policy.Action.ASSIGN: {"coordinator", "manager"},
    policy.Action.LOG_SESSION: {"counselor", "coordinator"},
    policy.Action.EDIT: {"counselor", "coordinator", "manager"},
    policy.Action.CLOSE: {"counselor", "coordinator", "manager"},
    policy.Action.REOPEN: {"coordinator", "manager"},
    policy.Action.READ_HISTORY: {"counselor", "coordinator", "manager", "auditor"},
    policy.Action.REQUEST_DISPATCH: {"counselor", "coordinator"},
}


@pytest.mark.parametrize("action", list(ACTION_GRANTS))
@pytest.mark.parametrize("role", ROLES)
def test_who_may_act_on_a_case(cast, action, role):
    case = CaseFactory(status="assigned", lead_counselor=cast.counselor)
    assert policy.can(getattr(cast, role), action, case) is (role in ACTION_GRANTS[action])


def test_the_exit_team_acts_on_exit_track_cases_only(cast):
    on_track = CaseFactory(
        status="assigned",
        lead_counselor=cast.counselor,
        on_exit_track=True,
        confidentiality="restricted",
    )
    ordinary = CaseFactory(status="assigned", lead_counselor=cast.counselor)
    assert policy.can(cast.exit_team, policy.Action.LOG_SESSION, on_track)
    assert not policy.can(cast.exit_team, policy.Action.LOG_SESSION, ordinary)


def test_a_refused_action_names_the_rule(cast):
    case = CaseFactory(status="assigned", lead_counselor=cast.counselor)
    with translation.override("en"), pytest.raises(ActionNotPermitted, match="coordinator"):
        policy.require(cast.counselor, policy.Action.REOPEN, case)
    with (
        translation.override("ja"),
        pytest.raises(ActionNotPermitted, match="統括コーディネーター"),
    ):
        policy.require(cast.counselor, policy.Action.REOPEN, case)


@pytest.mark.parametrize(
    ("role", "desk_code", "allowed"),
    [
        ("counselor", "yorozu", True),
        ("counselor", "ip", False),
        ("coordinator", "yorozu", True),
        ("exit_team", "yorozu", True),
        ("manager", "ip", True),
        ("auditor", "yorozu", False),
        ("outsider", "yorozu", False),
    ],
)
def test_who_may_take_an_intake_at_a_desk(cast, role, desk_code, allowed):
    assert policy.can_take_intake(getattr(cast, role), desk(desk_code)) is allowed


OFFERED = {
    # (state, who): what the case page offers
    ("intake", "counselor"): {"take"},  # a desk counselor, not (yet) on the case
    ("intake", "coordinator"): {"assign", "close", "edit", "refer", "read_history"},
    ("active", "counselor"): {
        "hold",
        "close",
        "edit",
        "log_session",
        "refer",
        "request_dispatch",
        "read_history",
    },
    ("active", "auditor"): {"read_history"},
    ("closed", "counselor"): {"read_history"},
    ("closed", "coordinator"): {"reopen", "read_history"},
    ("on_hold", "manager"): {"assign", "resume", "close", "edit", "refer", "read_history"},
}


@pytest.mark.parametrize(("state", "who"), sorted(OFFERED))
def test_offered_actions_are_the_role_and_the_state_together(cast, state, who):
    from tests.factories import case_in_state

    case = case_in_state(state, lead=cast.counselor, by=cast.coordinator)
    assert policy.offered_actions(getattr(cast, who), case) == OFFERED[(state, who)]


def test_an_action_the_state_does_not_offer_is_refused_naming_both_states(cast):
    from casebook.common.errors import TransitionNotAllowed
    from tests.factories import case_in_state

    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    with pytest.raises(TransitionNotAllowed) as refused:
        policy.require_offered(cast.coordinator, case, "reopen")
    assert (refused.value.current, refused.value.requested) == ("active", "reopen")
    with pytest.raises(ActionNotPermitted):
        policy.require_offered(cast.auditor, case, "hold")
    policy.require_offered(cast.counselor, case, "hold")


@pytest.fixture
def readers_of_many_cases(cast) -> list:
    """The cast and a login of two desks, over cases of each confidentiality at two desks:
    plain, led by the counselor, co-counselled by it, shared with the yorozu desk, and one
    led by a colleague."""
    ip = desk("ip")
    for confidentiality in ("normal", "confidential", "restricted"):
        CaseFactory(confidentiality=confidentiality)
        CaseFactory(desk=ip, confidentiality=confidentiality, lead_counselor=cast.counselor)
        CaseFactory(desk=ip, confidentiality=confidentiality).co_counselors.add(cast.counselor)
        shared = CaseFactory(desk=ip, confidentiality=confidentiality)
        CaseShare.objects.create(case=shared, desk=desk("yorozu"), source="test")
    CaseFactory(desk=ip, lead_counselor=cast.colleague)
    two_desks = member("yorozu", DeskRole.COUNSELOR, username="two.desks")
    DeskMembership.objects.create(user=two_desks, desk=ip, role=DeskRole.COUNSELOR)
    return [*vars(cast).values(), two_desks]


def _seen_by_branches(user, branches: list, rows_of) -> set[int]:
    """The case ids `user` sees, checked to be what the union of `branches` shows, each
    branch's case ids read by `rows_of(branch)` and none beyond what the user sees."""
    seen = set(policy.cases_visible_to(user).values_list("pk", flat=True))
    by_branch = set()
    for branch in branches:
        rows = rows_of(branch)
        assert rows <= seen, user.username
        by_branch |= rows
    assert by_branch == seen, user.username
    return seen


@pytest.mark.django_db
def test_the_visibility_branches_together_are_exactly_what_each_reader_sees(
    readers_of_many_cases,
):
    for user in readers_of_many_cases:
        seen = _seen_by_branches(
            user,
            policy.visible_case_branches(user),
            lambda branch: set(Case.objects.filter(branch).values_list("pk", flat=True)),
        )
        assert seen == {case.pk for case in Case.objects.all() if policy.can_see_case(user, case)}


@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db
def test_the_search_rows_branches_show_exactly_the_cases_each_reader_sees(readers_of_many_cases):
    seen_by = {
        user.username: _seen_by_branches(
            user,
            policy.visible_search_row_branches(user),
            lambda branch: set(
                CaseSearchGrams.objects.filter(branch).values_list("case_id", flat=True)
            ),
        )
        for user in readers_of_many_cases
    }
    assert seen_by["outsider"] == set()
    assert len({frozenset(seen) for seen in seen_by.values()}) >= 6


@pytest.mark.django_db
def test_the_session_rule_shows_the_sessions_of_exactly_the_cases_each_reader_sees(cast):
    ip, subcontract = desk("ip"), desk("subcontract")
    for confidentiality in ("normal", "confidential", "restricted"):
        for where in (desk("yorozu"), ip, subcontract):
            SessionFactory(case=CaseFactory(desk=where, confidentiality=confidentiality))
        led = CaseFactory(desk=ip, confidentiality=confidentiality, lead_counselor=cast.counselor)
        co = CaseFactory(desk=subcontract, confidentiality=confidentiality)
        co.co_counselors.add(cast.counselor)
        shared = CaseFactory(desk=ip, confidentiality=confidentiality)
        CaseShare.objects.create(case=shared, desk=desk("yorozu"), source="test")
        for case in (led, co, shared):
            SessionFactory.create_batch(2, case=case)
    CaseFactory(desk=ip, lead_counselor=cast.colleague)  # a case without sessions
    two_desks = member("yorozu", DeskRole.COUNSELOR, username="two.desks")
    DeskMembership.objects.create(user=two_desks, desk=ip, role=DeskRole.COUNSELOR)
    coordinator = member("subcontract", DeskRole.COORDINATOR, username="coord.small")
    CaseFactory(desk=subcontract, lead_counselor=coordinator).co_counselors.add(cast.counselor)
    seen_by = {}
    for user in [*vars(cast).values(), two_desks, coordinator]:
        expected = set(
            ConsultationSession.objects.filter(case__in=policy.cases_visible_to(user)).values_list(
                "pk", flat=True
            )
        )
        seen = set(
            ConsultationSession.objects.filter(policy.visible_sessions_q(user)).values_list(
                "pk", flat=True
            )
        )
        assert seen == expected, user.username
        by_branch = set()
        for branch, case_branch in zip(
            policy.visible_session_branches(user), policy.visible_case_branches(user), strict=True
        ):
            rows = set(ConsultationSession.objects.filter(branch).values_list("pk", flat=True))
            of_cases = set(
                ConsultationSession.objects.filter(
                    case__in=Case.objects.filter(case_branch)
                ).values_list("pk", flat=True)
            )
            assert rows == of_cases, user.username
            by_branch |= rows
        assert by_branch == seen, user.username
        seen_by[user.username] = seen
    # The cast sees the 27 sessions in many different ways, from all of them to none.
    assert len(seen_by["manager"]) == ConsultationSession.objects.count() == 27
    assert seen_by["outsider"] == set()
    assert len({frozenset(seen) for seen in seen_by.values()}) >= 7
