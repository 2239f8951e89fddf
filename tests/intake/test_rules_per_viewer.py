"""The visibility rules and the lists' base query sets are built once per login's facts
(`policy.per_viewer`) and shared across requests: what is shared must be what a fresh build
gives for that login, and a changed fact (a membership, a role, the login deactivated) must
be built again (docs/performance.md, "Rules built once per login")."""

from __future__ import annotations

from casebook.accounts.models import DeskMembership, DeskRole, OrgRole, User
from casebook.intake import policy
from casebook.intake.models import Confidentiality
from casebook.intake.selectors import cases as case_selectors
from casebook.intake.selectors import sessions as session_selectors
from tests.factories import CaseFactory, SessionFactory, desk, member


def _fresh(user: User) -> User:
    """The login as a new request reads it: no facts kept on the object."""
    return User.objects.get(pk=user.pk)


def _statement(queryset) -> tuple[str, tuple]:
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


def test_every_login_is_given_the_rows_a_fresh_build_of_its_rule_gives(cast):
    # Two counselors of one desk differ by their id alone (the lead's and co-counselor's
    # branches): the id is one of the facts.
    twin = member("yorozu", DeskRole.COUNSELOR, username="counselor-twin")
    logins = [_fresh(user) for user in (*vars(cast).values(), twin)]
    # Each login asks after every other one has: nothing of another login's is answered.
    for _ in range(2):
        for user in logins:
            shared = case_selectors.case_rows_for_user(user=_fresh(user))
            assert _statement(shared) == _statement(case_selectors._case_rows(_fresh(user)))
            shared = session_selectors.session_rows_for_user(user=_fresh(user))
            assert _statement(shared) == _statement(session_selectors._session_rows(_fresh(user)))
    statements = {_statement(case_selectors.case_rows_for_user(user=u)) for u in logins}
    assert len(statements) == len(logins)


def test_a_membership_added_a_role_changed_or_the_login_deactivated_is_built_again(cast):
    other_desk = CaseFactory(desk=desk("ip"), status="active", lead_counselor=cast.colleague)
    SessionFactory(case=other_desk)

    def sees(user: User) -> bool:
        user = _fresh(user)
        cases = case_selectors.case_rows_for_user(user=user).filter(pk=other_desk.pk)
        sessions = session_selectors.session_rows_for_user(user=user).filter(case=other_desk)
        return cases.exists() and sessions.exists()

    counselor = cast.counselor
    assert not sees(counselor)
    membership = DeskMembership.objects.create(
        user=counselor, desk=desk("ip"), role=DeskRole.COUNSELOR
    )
    assert sees(counselor)
    membership.active = False
    membership.save(update_fields=["active"])
    assert not sees(counselor)
    counselor.org_role = OrgRole.MANAGER
    counselor.save(update_fields=["org_role"])
    assert sees(counselor)
    counselor.is_active = False
    counselor.save(update_fields=["is_active"])
    assert not sees(counselor)


def test_what_a_caller_narrows_is_its_own_copy(cast):
    restricted = CaseFactory(confidentiality=Confidentiality.RESTRICTED)
    manager = _fresh(cast.manager)
    narrowed = case_selectors.case_rows_for_user(user=manager).filter(pk=restricted.pk)
    list(narrowed)
    again = case_selectors.case_rows_for_user(user=_fresh(cast.manager))
    assert again.query.where.children == case_selectors._case_rows(manager).query.where.children
    assert again._result_cache is None
    branches = policy.visible_case_branches(manager)
    branches.append("changed by a caller")
    assert policy.visible_case_branches(_fresh(cast.manager)) != branches
