from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from casebook.accounts.models import DeskRole
from tests.factories import member


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    """An aware instant in Asia/Tokyo."""
    return timezone.make_aware(dt.datetime(year, month, day, hour, minute))


@pytest.fixture
def ip_coordinator(db):
    return member("ip", DeskRole.COORDINATOR, username="ipcoord")
