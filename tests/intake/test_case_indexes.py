"""The case table's indexes on its desk (docs/performance.md, "What changed, and why each
index"): the key has no index of its own, an index that leads with it serves its readers."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import ProtectedError

from casebook.intake.models import Case
from tests.factories import CaseFactory


def _indexes_of_cases() -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Case._meta.db_table)
    return {name: info["columns"] for name, info in found.items() if info["index"]}


@pytest.mark.django_db
def test_the_cases_desk_has_no_index_of_its_own_and_desk_status_leads_with_it():
    indexes = _indexes_of_cases()
    assert ["desk_id"] not in indexes.values()
    assert ["desk_id", "status"] in indexes.values()


@pytest.mark.django_db
def test_a_desk_that_holds_cases_is_still_protected_from_deletion():
    case = CaseFactory()
    with pytest.raises(ProtectedError):
        case.desk.delete()
