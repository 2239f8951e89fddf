"""The database settings read from the environment: a connection per request, kept
connections, or a pool (casebook/common/databases.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from casebook.common.databases import database_settings

BASE = Path("/srv/casebook")
POSTGRES_URL = "postgres://casebook:secret@db.example.jp:5432/casebook"


@pytest.fixture
def environment(monkeypatch):
    for name in (
        "DATABASE_URL",
        "DATABASE_CONN_MAX_AGE",
        "DATABASE_POOL",
        "DATABASE_POOL_MIN_SIZE",
        "DATABASE_POOL_MAX_SIZE",
        "DATABASE_POOL_TIMEOUT",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_without_a_database_url_casebook_runs_on_an_sqlite_file_that_waits_for_its_lock(
    environment,
):
    settings = database_settings(BASE)
    assert settings["ENGINE"] == "django.db.backends.sqlite3"
    assert settings["NAME"] == str(BASE / "db.sqlite3")
    assert settings["OPTIONS"] == {"timeout": 20, "transaction_mode": "IMMEDIATE"}


def test_by_default_each_request_opens_its_own_postgresql_connection_and_no_pool(environment):
    environment.setenv("DATABASE_URL", POSTGRES_URL)
    settings = database_settings(BASE)
    assert settings["ENGINE"] == "django.db.backends.postgresql"
    assert settings["CONN_MAX_AGE"] == 0
    assert settings["CONN_HEALTH_CHECKS"] is True
    assert "pool" not in settings["OPTIONS"]


def test_kept_connections_are_still_a_setting_of_their_own(environment):
    environment.setenv("DATABASE_URL", POSTGRES_URL)
    environment.setenv("DATABASE_CONN_MAX_AGE", "60")
    settings = database_settings(BASE)
    assert settings["CONN_MAX_AGE"] == 60
    assert "pool" not in settings["OPTIONS"]


def test_the_pool_setting_gives_django_a_pool_of_its_default_sizes(environment):
    environment.setenv("DATABASE_URL", POSTGRES_URL)
    environment.setenv("DATABASE_POOL", "1")
    settings = database_settings(BASE)
    assert settings["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 10, "timeout": 10}
    assert settings["CONN_MAX_AGE"] == 0  # Django refuses a pool with kept connections
    assert settings["CONN_HEALTH_CHECKS"] is True  # a pooled connection is checked when lent
    assert (settings["NAME"], settings["HOST"], settings["USER"]) == (
        "casebook",
        "db.example.jp",
        "casebook",
    )


def test_the_pool_sizes_and_wait_are_read_from_the_environment(environment):
    environment.setenv("DATABASE_URL", POSTGRES_URL)
    environment.setenv("DATABASE_POOL", "true")
    environment.setenv("DATABASE_POOL_MIN_SIZE", "4")
    environment.setenv("DATABASE_POOL_MAX_SIZE", "16")
    environment.setenv("DATABASE_POOL_TIMEOUT", "3")
    assert database_settings(BASE)["OPTIONS"]["pool"] == {
        "min_size": 4,
        "max_size": 16,
        "timeout": 3,
    }


def test_a_pool_switched_off_explicitly_is_no_pool(environment):
    environment.setenv("DATABASE_URL", POSTGRES_URL)
    environment.setenv("DATABASE_POOL", "0")
    assert "pool" not in database_settings(BASE)["OPTIONS"]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"DATABASE_POOL": "maybe"}, "DATABASE_POOL must be a boolean"),
        ({"DATABASE_CONN_MAX_AGE": "60"}, "exclude each other"),
        ({"DATABASE_POOL_MIN_SIZE": "8", "DATABASE_POOL_MAX_SIZE": "4"}, "must be at least"),
        ({"DATABASE_POOL_MAX_SIZE": "0"}, "DATABASE_POOL_MAX_SIZE must be at least 1"),
        ({"DATABASE_POOL_TIMEOUT": "soon"}, "DATABASE_POOL_TIMEOUT must be an integer"),
        ({"DATABASE_URL": "sqlite:///casebook.sqlite3"}, "DATABASE_POOL needs PostgreSQL"),
    ],
)
def test_a_pool_setting_that_cannot_work_stops_the_start_naming_the_variable(
    environment, variables, message
):
    environment.setenv("DATABASE_URL", POSTGRES_URL)
    environment.setenv("DATABASE_POOL", "1")
    for name, value in variables.items():
        environment.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=message):
        database_settings(BASE)
