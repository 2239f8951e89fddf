"""Fixtures of the notification tests (dates and helpers: helpers.py)."""

from __future__ import annotations

import pytest

from casebook.accounts.models import DeskRole
from tests.factories import CaseFactory, desk, member


@pytest.fixture
def ip_coordinator(db):
    return member("ip", DeskRole.COORDINATOR, username="ipcoord", email="ipcoord@example.jp")


@pytest.fixture
def ip_counselor(db):
    return member("ip", DeskRole.COUNSELOR, username="ipcounselor", email="ip@example.jp")


@pytest.fixture
def led_case(cast):
    """An active yorozu case led by the cast's counselor."""
    return CaseFactory(
        desk=desk("yorozu"), status="active", lead_counselor=cast.counselor, title="販路開拓"
    )
