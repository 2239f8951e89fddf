"""The typed readers of settings from the environment."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from casebook.env import env_int


def test_an_integer_setting_takes_its_default_when_unset(monkeypatch):
    monkeypatch.delenv("CASEBOOK_TEST_DAYS", raising=False)
    assert env_int("CASEBOOK_TEST_DAYS", 7, minimum=0) == 7


def test_an_integer_setting_below_its_minimum_is_refused_naming_it(monkeypatch):
    monkeypatch.setenv("CASEBOOK_TEST_DAYS", "-1")
    with pytest.raises(ImproperlyConfigured, match="CASEBOOK_TEST_DAYS must be at least 0"):
        env_int("CASEBOOK_TEST_DAYS", 7, minimum=0)
    monkeypatch.setenv("CASEBOOK_TEST_DAYS", "3")
    assert env_int("CASEBOOK_TEST_DAYS", 7, minimum=0) == 3
