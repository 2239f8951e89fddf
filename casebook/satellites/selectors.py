"""Reads of offices."""

from __future__ import annotations

from typing import Any

from casebook.satellites.models import Office


def office_get(*, pk: Any) -> Office:
    """Any office (offices are reference data every login reads)."""
    return Office.objects.get(pk=pk)
