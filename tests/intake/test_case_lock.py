"""The case lock: a case named by id is read among those its user may see, in the statement
that locks it; the getter only reads."""

from __future__ import annotations

import inspect

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from casebook.intake import policy, selectors, services
from casebook.intake.models import Case
from tests.factories import CaseFactory


def test_a_case_named_by_id_is_locked_with_its_desk_and_client_in_one_query(cast):
    case = CaseFactory(status="intake")
    policy.desk_roles(cast.counselor)  # the login's memberships: read once, by any request
    with CaptureQueriesContext(connection) as queries:
        locked = services.lock_case(case.pk, visible_to=cast.counselor)
        assert (locked.pk, locked.desk.code, locked.client.pk) == (
            case.pk,
            case.desk.code,
            case.client_id,
        )
    assert len(queries) == 1
    if connection.vendor == "postgresql":
        assert "FOR NO KEY UPDATE OF" in queries[0]["sql"]


@pytest.mark.parametrize("pk", ["unseen", "missing", "not a number"])
def test_a_case_named_by_id_that_its_user_may_not_see_is_a_404(cast, pk):
    case = CaseFactory(status="intake")
    named = {"unseen": case.pk, "missing": case.pk + 1000, "not a number": "forty-two"}[pk]
    with pytest.raises(Http404):
        services.lock_case(named, visible_to=cast.outsider)
    if pk != "unseen":
        with pytest.raises(Http404):
            services.lock_case(named, visible_to=cast.counselor)


def test_a_case_or_its_id_without_a_reader_is_locked_whoever_may_see_it(cast):
    case = CaseFactory(status="intake")
    assert services.lock_case(case).pk == case.pk
    assert services.lock_case(case.pk).pk == case.pk
    with pytest.raises(Case.DoesNotExist):
        services.lock_case(case.pk + 1000)


def test_the_case_getter_reads_without_a_lock(cast):
    case = CaseFactory(status="intake")
    assert "lock" not in inspect.signature(selectors.case_get_for_user).parameters
    with CaptureQueriesContext(connection) as queries:
        assert selectors.case_get_for_user(user=cast.counselor, pk=case.pk) == case
    assert not any("FOR UPDATE" in query["sql"] for query in queries)
