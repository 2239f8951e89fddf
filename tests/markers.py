"""Markers for tests that need a real service; they skip only when it is absent."""

from __future__ import annotations

import os

import pytest

ON_POSTGRESQL = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))

needs_postgres = pytest.mark.skipif(
    not ON_POSTGRESQL, reason="needs PostgreSQL: set DATABASE_URL=postgres://… (CI does)"
)
