"""A list's page read by a statement compiled once per reader's facts and page shape
(`casebook/api/pagination.py` `paginate_prepared`; docs/performance.md, "A list's page
compiled once per reader"): every reader of the cast gets, page after page and either way,
the statement and the answer the list built for the request gives; a filtered list, a new
desk, a reader who sees nothing and a cursor past a column's range are answered as before."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections import OrderedDict
from urllib.parse import urlencode

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casebook.accounts.models import DeskRole
from casebook.api.pagination import PageStatement
from casebook.intake import policy
from casebook.intake.api.views import CaseViewSet, SessionViewSet
from tests.api.test_case_list_rendering import varied_cases  # noqa: F401 - a fixture
from tests.factories import CaseFactory, SessionFactory, desk, member

LISTS = {"/api/v1/cases/": CaseViewSet, "/api/v1/sessions/": SessionViewSet}


@pytest.fixture(autouse=True)
def _nothing_kept_from_before(monkeypatch) -> None:
    # The statements are kept per process: each test starts with none.
    monkeypatch.setattr(policy, "_BUILT_FOR_VIEWERS", OrderedDict())


def _kept_pages() -> list[PageStatement | None]:
    return [built for key, built in policy._BUILT_FOR_VIEWERS.items() if key[0] == "list page"]


def _answer(api, url: str) -> tuple[int, object, list[str]]:
    """Status, body and every read sent (with its parameters) of one request (a restricted
    case's read is logged: that row's time is the request's own)."""
    with CaptureQueriesContext(connection) as sent:
        response = api.get(url)
    reads = [query["sql"] for query in sent if query["sql"].startswith("SELECT")]
    return response.status_code, response.json(), reads


def _built_per_request(monkeypatch, url: str) -> None:
    for view in LISTS.values():
        monkeypatch.setattr(view, "list_pages_per_viewer", None)


def _walk(api, url: str) -> list[tuple[int, object, list[str]]]:
    """Every page after `url`, then every page before the last, with what each sent."""
    answers, following = [], url
    while following:
        answers.append(_answer(api, following))
        following = answers[-1][1]["next"]
    preceding = answers[-1][1]["previous"]
    while preceding:
        answers.append(_answer(api, preceding))
        preceding = answers[-1][1]["previous"]
    return answers


@pytest.fixture
def listed(cast, varied_cases) -> None:  # noqa: F811 - the fixture imported above
    now = timezone.now()
    for hours, case in zip((5, 4, 4, 3, 1, 1), varied_cases, strict=True):
        SessionFactory(case=case, started_at=now - dt.timedelta(hours=hours))


@pytest.mark.parametrize("url", list(LISTS))
@pytest.mark.parametrize("ordering", ["", "id", "-updated_at", "started_at", "-duration_minutes"])
def test_every_reader_gets_the_pages_and_statements_of_the_list_built_for_the_request(
    cast, api_as, listed, monkeypatch, url, ordering
):
    pages = f"{url}?{urlencode({'page_size': 2, 'ordering': ordering})}"
    for user in vars(cast).values():
        api = api_as(user)
        api.get(pages)  # the login's desks, read once per login object
        compiled_once = _walk(api, pages)
        with monkeypatch.context() as built:
            _built_per_request(built, url)
            assert _walk(api, pages) == compiled_once, user.username
    assert _kept_pages(), "the pages were read by kept statements"


def test_a_kept_page_sends_the_orms_own_statement_for_any_position(cast, api_as, listed):
    api = api_as(cast.coordinator)
    first = api.get("/api/v1/cases/?page_size=2").json()
    api.get(first["next"])
    kept = [read for read in _kept_pages() if read is not None]
    assert len(kept) == 2
    # The page after a position: its opening time and its id.
    positioned = next(read for read in kept if len(read._kinds) == 2)
    for opened, pk in ((timezone.now(), 7), (timezone.now() - dt.timedelta(days=900), 1)):
        page = positioned._build(opened, pk)
        fresh = page.query.get_compiler(using=page.db).as_sql()
        assert positioned.sql_with_params(opened, pk) == (fresh[0], list(fresh[1]))


def test_a_reader_given_a_desk_reads_its_cases_by_a_statement_of_the_new_facts(cast, api_as):
    counselor = member("yorozu", DeskRole.COUNSELOR, username="newcomer")
    ip_case = CaseFactory(desk=desk("ip"))
    api = api_as(counselor)
    before = [row["id"] for row in api.get("/api/v1/cases/").json()["results"]]
    assert ip_case.pk not in before
    counselor.memberships.create(desk=desk("ip"), role=DeskRole.COUNSELOR)
    counselor = type(counselor).objects.get(pk=counselor.pk)
    after = [row["id"] for row in api_as(counselor).get("/api/v1/cases/").json()["results"]]
    assert ip_case.pk in after
    assert len(_kept_pages()) == 2


def test_a_reader_who_sees_nothing_gets_an_empty_page(cast, api_as, listed):
    for url in LISTS:
        answer = api_as(cast.outsider).get(url).json()
        assert answer == {"next": None, "previous": None, "results": []}


def test_a_filtered_list_is_read_through_its_filters_not_a_kept_statement(
    cast,
    api_as,
    listed,
    varied_cases,  # noqa: F811 - the fixture imported above
):
    closed = varied_cases[-1]
    answer = api_as(cast.manager).get("/api/v1/cases/?status=closed").json()
    assert [row["id"] for row in answer["results"]] == [closed.pk]
    assert _kept_pages() == []


def _cursor(values: list[str | None], *, reverse: bool = False) -> str:
    tokens = {"p": json.dumps(values, separators=(",", ":"))} | ({"r": "1"} if reverse else {})
    return base64.b64encode(urlencode(tokens).encode("ascii")).decode("ascii")


@pytest.mark.parametrize("position", [str(10**30), str(-(10**30)), "0", "abc"])
def test_a_cursor_at_any_number_is_answered_as_the_list_built_for_the_request(
    cast, api_as, listed, monkeypatch, position
):
    url = f"/api/v1/sessions/?ordering=id&cursor={_cursor([position])}"
    api = api_as(cast.manager)
    compiled_once = _answer(api, url)[:2]
    _built_per_request(monkeypatch, url)
    assert _answer(api, url)[:2] == compiled_once


def test_a_list_that_is_more_than_its_selectors_rows_cannot_keep_its_pages():
    with pytest.raises(ImproperlyConfigured):

        class NarrowedCases(CaseViewSet):
            def list_for_user(self, user):
                return super().list_for_user(user).filter(status="closed")

    with pytest.raises(ImproperlyConfigured):

        class CasesAsInstances(CaseViewSet):
            list_as_values = False
