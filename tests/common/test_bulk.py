"""A bulk write leaves the search's inverted indexes out while its rows land and builds them
once before it commits (`casebook/common/bulk.py`): the schema after it is the one before,
the rows written are found through the rebuilt indexes, and a failed write keeps them."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from casebook.common.bulk import inverted_indexes, inverted_indexes_built_after
from casebook.common.extensions import registry
from casebook.intake.models import ConsultationSession
from casebook.intake.selectors import sessions_matching
from tests.factories import SessionFactory
from tests.markers import needs_postgres

# The search's inverted indexes the migrations create (intake 0013, 0016, 0024).
SEARCH_INDEXES = {
    "case_title_grams",
    "client_name_grams",
    "client_name_kana_grams",
    "session_summary_grams",
    "session_advice_grams",
    "case_search_grams",
}


@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db
def test_the_search_indexes_are_the_schemas_inverted_indexes():
    assert {name for name, _ in inverted_indexes(connection)} == SEARCH_INDEXES


@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db
def test_a_bulk_write_drops_the_inverted_indexes_and_builds_the_same_ones_before_it_commits():
    before = inverted_indexes(connection)
    built: list[str] = []
    with transaction.atomic(), registry.bulk_write(connection, progress=built.append):
        assert inverted_indexes(connection) == []
        SessionFactory(summary="特許の出願について", advice="")
    assert inverted_indexes(connection) == before
    assert any(line.startswith("search indexes: 6 built in") for line in built), built
    # The rows written while the indexes were out are in the rebuilt ones.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    found = sessions_matching(ConsultationSession.objects.all(), "特許")
    assert found.count() == 1
    assert "session_summary_grams" in found.values("pk").order_by().explain()


@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db
def test_a_failed_bulk_write_keeps_the_inverted_indexes():
    before = inverted_indexes(connection)
    with (
        pytest.raises(ZeroDivisionError),
        transaction.atomic(),
        inverted_indexes_built_after(connection),
    ):
        SessionFactory()
        _ = 1 / 0
    assert inverted_indexes(connection) == before
    assert ConsultationSession.objects.count() == 0


def test_the_indexes_are_rebuilt_only_inside_the_writers_transaction():
    # No database access: the check comes before anything is dropped.
    with pytest.raises(RuntimeError, match=r"atomic"), inverted_indexes_built_after(connection):
        pass
