"""`in_ids` (casebook/common/lookups.py): the rows of `__in`, the ids passed once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casebook.common.lookups import in_ids
from casebook.intake import selectors
from casebook.intake.models import Case, Topic
from tests.accounts.test_session_store import _calls
from tests.factories import CaseFactory


@pytest.fixture
def cases_with_topics(db) -> list[Case]:
    codes = list(Topic.objects.values_list("code", flat=True)[:3])
    cases = CaseFactory.create_batch(4)
    for index, case in enumerate(cases):
        case.topics.set(codes[:index])
    return cases


def test_in_ids_finds_the_rows_that_in_finds_through_a_key_and_a_set(cases_with_topics):
    ids = [case.pk for case in cases_with_topics[1:]] + [cases_with_topics[1].pk, 10**12]
    assert sorted(Case.objects.filter(in_ids("id", ids)).values_list("pk", flat=True)) == sorted(
        Case.objects.filter(pk__in=ids).values_list("pk", flat=True)
    )
    through = Case.topics.through.objects
    assert list(through.filter(in_ids("case__id", ids)).order_by("id").values_list("id")) == list(
        through.filter(case_id__in=ids).order_by("id").values_list("id")
    )
    assert list(Topic.objects.filter(in_ids("cases__id", ids)).values_list("cases", "code")) == (
        list(Topic.objects.filter(cases__in=ids).values_list("cases", "code"))
    )


def test_in_ids_with_no_id_finds_nothing_without_a_query(db):
    with CaptureQueriesContext(connection) as queries:
        assert list(Case.objects.filter(in_ids("id", []))) == []
    assert len(queries) == 0


@pytest.mark.parametrize("bad", ["1", 1.5, None])
def test_in_ids_refuses_an_id_that_is_not_an_integer(db, bad):
    with pytest.raises(TypeError):
        in_ids("id", [1, bad])
    with pytest.raises(TypeError):
        list(Case.objects.filter(id__in_ids=[1, bad]))


def test_a_pages_set_is_read_with_its_ids_as_one_parameter_on_postgresql(cases_with_topics):
    ids = [case.pk for case in cases_with_topics]
    _, params = selectors.case_topic_codes(case_ids=ids).query.sql_with_params()
    if connection.vendor == "postgresql":
        assert len(params) == 1
    else:
        assert list(params) == ids


def test_reading_a_pages_sets_costs_no_python_calls_per_id(cases_with_topics):
    ids = [case.pk for case in cases_with_topics] + list(range(10**6, 10**6 + 1000))

    def read() -> None:
        list(selectors.case_topic_codes(case_ids=ids))
        list(selectors.case_co_counselor_ids(case_ids=ids))

    read()
    # Through `__in` each id was prepared by the field: about 25,000 calls a set here.
    assert _calls(read) < 3_000
