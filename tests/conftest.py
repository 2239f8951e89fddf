"""The cast every test uses: a counselor of the desk, a colleague of another desk, a
coordinator, a manager, an auditor, the exit team and an outsider."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import settings as hypothesis_settings

from casebook.accounts.models import DeskRole, OrgRole, User
from tests.factories import UserFactory, member

# Property tests run the same examples on every run and machine (a failure is reproduced by
# running again), with no time limit per example (the CI machine is shared).
hypothesis_settings.register_profile("casebook", derandomize=True, database=None, deadline=None)
hypothesis_settings.load_profile("casebook")


@dataclass
class Cast:
    counselor: User  # counselor of the yorozu desk
    colleague: User  # counselor of the ip desk
    coordinator: User  # coordinator of the yorozu desk
    manager: User
    auditor: User
    exit_team: User  # exit_team member of the yorozu desk
    outsider: User  # a login with no role at all


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """Hashing with the production hasher costs ~0.3 s per user; tests need no such strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def cast(db) -> Cast:
    return Cast(
        counselor=member("yorozu", DeskRole.COUNSELOR, username="counselor"),
        colleague=member("ip", DeskRole.COUNSELOR, username="colleague"),
        coordinator=member("yorozu", DeskRole.COORDINATOR, username="coordinator"),
        manager=UserFactory(username="manager", org_role=OrgRole.MANAGER),
        auditor=UserFactory(username="auditor", org_role=OrgRole.AUDITOR),
        exit_team=member("yorozu", DeskRole.EXIT_TEAM, username="exitlead"),
        outsider=UserFactory(username="outsider"),
    )
