"""The case list's `q` reads its page among the newest cases first (docs/performance.md,
"Search"): every page, its order and its cursors are the ones read from every match, whatever
the window, the order, the other filters and the reader."""

from __future__ import annotations

import base64
import datetime as dt
import re
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casebook.intake import policy, selectors
from casebook.intake.selectors import cases as case_selectors
from casebook.intake.selectors import clients as client_selectors
from tests.factories import CaseFactory, ClientFactory, SessionFactory, desk
from tests.markers import needs_postgres

pytestmark = pytest.mark.django_db

# Larger than any table of these tests: no window, every match read (the list as it was).
NO_WINDOW = 1_000_000


def _cases_about_nakajima(cast) -> list:
    """42 cases, newest first, that hold 「中島」 in each place a case is searched (title,
    client, a session's summary) or do not, at two desks, some restricted (some of those led
    by the counselor), in two states; every third one opened at the same instant as the one
    before it, so that ties straddle the window's edge."""
    now = timezone.now().replace(microsecond=0)
    made = []
    opened_at = now
    for n in range(42):
        if n % 3 != 2:
            opened_at = now - dt.timedelta(days=n, hours=n % 5)
        kind = n % 7
        client = (
            ClientFactory(name=f"中島商店{n}", name_kana="ナカジマショウテン")
            if kind == 1
            else ClientFactory()
        )
        case = CaseFactory(
            desk=desk("ip" if kind == 4 else "yorozu"),
            client=client,
            title=f"中島工場の相談{n}" if kind in (0, 4, 5, 6) else f"販路の相談{n}",
            confidentiality="restricted" if kind in (5, 6) else "normal",
            lead_counselor=cast.counselor if kind == 6 else (cast.coordinator if n % 2 else None),
            status="active" if n % 2 else "intake",
            opened_at=opened_at,
        )
        summary = "中島さんから中間報告を受けた。" if kind == 2 else "資金繰りについて相談"
        SessionFactory(case=case, summary=summary)
        made.append(case)
    return made


def _walk(api, params: dict[str, str]) -> list[dict]:
    """Every page from the first by `next`, then back from the last by `previous`: each
    answer whole (its rows, their order and fields, its two links)."""
    pages = []
    url = "/api/v1/cases/?" + urlencode({**params, "page_size": "4"})
    while url:
        pages.append(api.get(url).json())
        url = pages[-1]["next"]
    url = pages[-1]["previous"]
    while url:
        pages.append(api.get(url).json())
        url = pages[-1]["previous"]
    return pages


QUERIES = [
    {"q": "中島"},
    {"q": "なかじま"},
    {"q": "中島工場"},
    {"q": "中"},
    {"q": "中島", "ordering": "opened_at"},
    {"q": "中島", "ordering": "-opened_at,number"},
    {"q": "中島", "ordering": "number"},
    {"q": "中島", "status": "active"},
    {"q": "中島", "desk": "yorozu"},
]


@pytest.mark.parametrize(
    ("reader", "queries"),
    [
        ("counselor", QUERIES),
        ("colleague", QUERIES[:1]),
        ("manager", [QUERIES[0], QUERIES[4]]),
        ("exit_team", [QUERIES[0], QUERIES[5]]),
    ],
)
def test_every_page_and_cursor_of_a_search_is_the_one_read_from_every_match_whatever_the_window(
    cast, api_as, monkeypatch, reader, queries
):
    made = _cases_about_nakajima(cast)
    user = getattr(cast, reader)
    api = api_as(user)
    for params in queries:
        monkeypatch.setattr(case_selectors, "SEARCH_WINDOW", NO_WINDOW)
        expected = _walk(api, params)
        for window in (3, 7, 16):
            monkeypatch.setattr(case_selectors, "SEARCH_WINDOW", window)
            assert _walk(api, params) == expected, (params, window)
        if set(params) == {"q"}:
            # The pages, read forward, are the web search's ordered set.
            forward = []
            for page in expected:
                forward += [row["id"] for row in page["results"]]
                if page["next"] is None:
                    break
            ordered = selectors.case_search(user=user, text=params["q"])
            assert forward == [case["id"] for case in ordered], params
    # The readers see different matches: the ip desk's counselor few, the manager all.
    monkeypatch.setattr(case_selectors, "SEARCH_WINDOW", NO_WINDOW)
    seen = api.get("/api/v1/cases/", {"q": "中島", "page_size": "200"}).json()["results"]
    visible = {"counselor": 24, "colleague": 6, "manager": 36, "exit_team": 30}[reader]
    assert len(seen) == visible
    assert len(made) == 42


def _first_page(api) -> tuple[list[int], str | None, int]:
    with CaptureQueriesContext(connection) as queries:
        body = api.get("/api/v1/cases/", {"q": "中島", "page_size": "4"}).json()
    return [row["id"] for row in body["results"]], body["next"], len(queries)


def test_a_search_page_the_newest_cases_fill_costs_the_same_queries_with_more_older_matches(
    cast, api_as, monkeypatch
):
    made = _cases_about_nakajima(cast)
    monkeypatch.setattr(case_selectors, "SEARCH_WINDOW", 8)
    api = api_as(cast.counselor)
    api.get("/api/v1/cases/", {"q": "中島"})  # the reader's desks, once
    first = _first_page(api)
    # The second and third cases were opened at the same instant: the newer id first.
    assert first[0] == [made[n].pk for n in (0, 2, 1, 6)]
    now = timezone.now()
    for n in range(72):
        case = CaseFactory(
            desk=desk("yorozu"),
            title=f"中島工場の相談{n}",
            opened_at=now - dt.timedelta(days=60 + n),
        )
        SessionFactory(case=case, summary="中島さんと面談")
    assert _first_page(api) == first
    # A window the reader's matches do not fill: the same page, read again from every match.
    monkeypatch.setattr(case_selectors, "SEARCH_WINDOW", 5)
    ids, link, count = _first_page(api)
    assert (ids, link) == first[:2]
    assert count == first[2] + 1


def test_a_list_without_a_search_or_ordered_by_another_field_reads_no_window(
    cast, api_as, monkeypatch
):
    _cases_about_nakajima(cast)
    monkeypatch.setattr(case_selectors, "SEARCH_WINDOW", 8)
    api = api_as(cast.counselor)

    def windows_read(params: dict[str, str]) -> int:
        with CaptureQueriesContext(connection) as queries:
            api.get("/api/v1/cases/", {**params, "page_size": "4"})
        # The window's bounds: the openings of the window's oldest case and of the newest.
        return sum('AS "oldest"' in q["sql"] for q in queries.captured_queries)

    assert windows_read({"q": "中島"}) == 1
    assert windows_read({"q": "中島", "ordering": "number"}) == 0
    assert windows_read({"q": " "}) == 0
    assert windows_read({}) == 0


@needs_postgres
@pytest.mark.postgres
def test_a_search_page_the_newest_cases_fill_reads_only_their_matches(cast, api_as, monkeypatch):
    _cases_about_nakajima(cast)
    monkeypatch.setattr(case_selectors, "SEARCH_WINDOW", 8)
    api = api_as(cast.counselor)
    with CaptureQueriesContext(connection) as queries:
        api.get("/api/v1/cases/", {"q": "中島", "page_size": "4"})
    searched = [q["sql"] for q in queries.captured_queries if "grams" in q["sql"]]
    assert len(searched) == 1
    # The search rows of the window's months only (one scan of the grams and months index).
    assert "opened_month" in searched[0]


def _answer(api, cursor_position: str) -> tuple[int, bytes] | str:
    cursor = base64.b64encode(urlencode({"p": cursor_position}).encode()).decode()
    try:
        response = api.get("/api/v1/cases/", {"q": "中島", "page_size": "4", "cursor": cursor})
    except Exception as error:  # the same failure either way is what is checked
        return type(error).__name__
    return response.status_code, response.content


@pytest.mark.parametrize(
    "position",
    ["2026-13-45 00:00:00+00:00", "not a date", "2026-01-01 00:00:00", "2099-01-01 00:00:00+00:00"],
)
def test_a_cursor_the_list_did_not_make_is_answered_as_without_the_window(
    cast, api_as, monkeypatch, position
):
    _cases_about_nakajima(cast)
    api = api_as(cast.counselor)
    monkeypatch.setattr(case_selectors, "SEARCH_WINDOW", NO_WINDOW)
    expected = _answer(api, position)
    monkeypatch.setattr(case_selectors, "SEARCH_WINDOW", 8)
    assert _answer(api, position) == expected


def test_the_matching_of_every_case_is_built_only_for_a_page_the_newest_cases_do_not_give(
    cast, api_as, monkeypatch
):
    _cases_about_nakajima(cast)
    api = api_as(cast.counselor)
    # The builds of the list read through its filter set; a one-gram word's first page read by
    # its compiled statements: `test_a_compiled_search_page_reads_every_match_only_when_...`.
    monkeypatch.setattr(client_selectors, "PREPARED_SEARCH_PAGES", 0)
    built = []
    matching = selectors.cases_matching

    def counted(cases, text, **kwargs):
        built.append("window" if kwargs.get("within") is not None else "every case")
        return matching(cases, text, **kwargs)

    monkeypatch.setattr(selectors, "cases_matching", counted)

    def matchings(params: dict[str, str], window: int) -> list[str]:
        monkeypatch.setattr(case_selectors, "SEARCH_WINDOW", window)
        built.clear()
        assert api.get("/api/v1/cases/", {**params, "page_size": "4"}).status_code == 200
        return list(built)

    assert matchings({"q": "中島"}, 8) == ["window"]
    assert matchings({"q": "中島"}, 5) == ["window", "every case"]
    assert matchings({"q": "中島"}, NO_WINDOW) == ["every case"]
    assert matchings({"q": "中島", "ordering": "number"}, 8) == ["every case"]


def _statements(queries) -> list[str]:
    """The statements sent, in a stable order, each moment (the session's expiry, an access
    log's time) written as the same text."""
    moment = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\+00:00")
    return sorted(moment.sub("moment", query["sql"]) for query in queries.captured_queries)


@needs_postgres
@pytest.mark.postgres
@pytest.mark.parametrize("window", [NO_WINDOW, 8, 5])
def test_a_one_gram_words_first_page_is_the_answer_and_the_statements_of_its_filter_set(
    cast, api_as, monkeypatch, window
):
    _cases_about_nakajima(cast)
    monkeypatch.setattr(case_selectors, "SEARCH_WINDOW", window)
    for user in vars(cast).values():
        api = api_as(user)
        for params in ({"q": "中島"}, {"q": "中", "page_size": "4"}, {"q": "なか"}, {"q": "特許"}):
            api.get("/api/v1/cases/", params)  # the statements compiled, the login's facts read
            with CaptureQueriesContext(connection) as compiled:
                answer = api.get("/api/v1/cases/", params)
            with monkeypatch.context() as through_the_filter_set:
                through_the_filter_set.setattr(client_selectors, "PREPARED_SEARCH_PAGES", 0)
                with CaptureQueriesContext(connection) as built:
                    expected = api.get("/api/v1/cases/", params)
            assert answer.status_code == expected.status_code
            assert answer.content == expected.content
            assert _statements(compiled) == _statements(built)


def _compiled_search_pages() -> int:
    return sum("case list search" in key for key in policy._BUILT_FOR_VIEWERS)


@needs_postgres
@pytest.mark.postgres
def test_a_compiled_search_page_reads_every_match_only_when_the_newest_do_not_fill_it(
    cast, api_as, monkeypatch
):
    _cases_about_nakajima(cast)
    api = api_as(cast.counselor)

    def searches_sent(window: int) -> list[bool]:
        monkeypatch.setattr(case_selectors, "SEARCH_WINDOW", window)
        params = {"q": "中島", "page_size": "4"}
        api.get("/api/v1/cases/", params)
        with CaptureQueriesContext(connection) as queries:
            assert api.get("/api/v1/cases/", params).status_code == 200
        # Whether each search statement keeps to the window's months.
        return [
            "opened_month" in query["sql"]
            for query in queries.captured_queries
            if "case_search_grams" in query["sql"]
        ]

    before = _compiled_search_pages()
    assert searches_sent(8) == [True]
    assert searches_sent(5) == [True, False]
    assert searches_sent(NO_WINDOW) == [False]
    assert _compiled_search_pages() > before


@needs_postgres
@pytest.mark.postgres
def test_a_search_with_a_cursor_another_filter_an_order_or_a_digit_compiles_no_page(cast, api_as):
    _cases_about_nakajima(cast)
    api = api_as(cast.counselor)
    first = api.get("/api/v1/cases/", {"q": "中島", "page_size": "4"}).json()
    before = _compiled_search_pages()
    assert api.get(first["next"]).status_code == 200
    for params in (
        {"q": "中島", "status": "active"},
        {"q": "中島", "ordering": "number"},
        {"q": "1"},
        {"q": "中島工場"},
    ):
        assert api.get("/api/v1/cases/", params).status_code == 200
    assert _compiled_search_pages() == before
