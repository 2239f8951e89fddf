"""Reads of offices."""

from __future__ import annotations

from django.db.models import QuerySet

from casebook.satellites.models import Office


def office_get(pk: int) -> Office:
    return Office.objects.get(pk=pk)


def office_list() -> QuerySet[Office]:
    return Office.objects.all()
