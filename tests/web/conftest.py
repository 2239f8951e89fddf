"""Cases and helpers the screen tests share."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client as WebClient
from django.utils import timezone

from casebook.intake.models import Case
from tests.factories import CaseFactory, case_in_state, desk


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Form tokens live in the cache; each test starts without the previous test's."""
    cache.clear()
    yield
    cache.clear()


def login(web: WebClient, user) -> WebClient:
    web.force_login(user)
    return web


def in_english(web: WebClient) -> WebClient:
    """Switch the screens to English, as the language switch does (a cookie)."""
    web.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return web


def local_input(moment: dt.datetime) -> str:
    """How a datetime-local input posts a moment."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def active_case(cast) -> Case:
    """A yorozu case led by the cast's counselor, with one session logged."""
    return case_in_state("active", lead=cast.counselor, by=cast.coordinator)


@pytest.fixture
def intake_case(cast) -> Case:
    return case_in_state("intake", lead=cast.counselor, by=cast.coordinator)


@pytest.fixture
def restricted_case(cast) -> Case:
    """An exit-track case of the yorozu desk, led by the exit team member.

    Built directly (the exit track belongs to another screen); fiscal year 2019 keeps its
    number clear of the numbers the services hand out in the same test.
    """
    return CaseFactory(
        desk=desk("yorozu"),
        fiscal_year=2019,
        title="廃業の相談",
        status="active",
        confidentiality="restricted",
        on_exit_track=True,
        lead_counselor=cast.exit_team,
    )
