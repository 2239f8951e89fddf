"""The web search's page of cases (docs/performance.md, "Search"): a one-character word walks the
newest visible cases, a longer one reads its matches among the newest cases of the table first,
either falls back to the set of every matching case, and all give the page that `case_search`
orders."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casebook.common.paging import Page, page_of
from casebook.intake import selectors
from casebook.intake.selectors import cases as case_selectors
from tests.factories import CaseFactory, ClientFactory, SessionFactory, desk
from tests.markers import needs_postgres

pytestmark = pytest.mark.django_db


def _cases_about_naka(cast) -> list:
    """Cases that hold 「中」 (and 「中島」) in each place a case is searched, others that do not,
    and some the yorozu counselor may not see, a day apart, newest first."""
    now = timezone.now()
    made = []
    for n in range(36):
        kind = n % 6
        client = (
            ClientFactory(name=f"中島商店{n}", name_kana="ナカジマショウテン")
            if kind == 1
            else ClientFactory()
        )
        case = CaseFactory(
            desk=desk("ip" if kind == 4 else "yorozu"),
            client=client,
            title=f"中島工場の相談{n}" if kind in (0, 4, 5) else f"販路の相談{n}",
            confidentiality="restricted" if kind == 5 else "normal",
            opened_at=now - dt.timedelta(days=n),
        )
        summary = "中島さんから中間報告を受けた。" if kind == 2 else "資金繰りについて相談"
        SessionFactory(case=case, summary=summary)
        made.append(case)
    return made


def _pages(read, count: int) -> list[tuple[list[int], bool]]:
    pages = [read(number) for number in range(1, count + 1)]
    return [([case["id"] for case in page.rows], page.has_next) for page in pages]


@pytest.mark.parametrize("window", [3, 8, 1000])
def test_a_one_character_word_gives_the_pages_of_the_ordered_search_whatever_the_window(
    cast, monkeypatch, window
):
    _cases_about_naka(cast)
    monkeypatch.setattr(case_selectors, "WALK_WINDOW", window)
    user = cast.counselor

    def walked(number: int) -> Page:
        return selectors.case_search_page(user=user, text="中", number=number, size=4)

    def ordered(number: int) -> Page:
        return page_of(selectors.case_search(user=user, text="中"), number=number, size=4)

    expected = _pages(ordered, 5)
    assert _pages(walked, 5) == expected
    # Titles, clients and summaries each hold the word in the visible cases; the ip desk's
    # and the restricted ones are not there.
    assert sum(len(rows) for rows, _ in expected) == 18


def test_a_one_character_word_whose_matches_fill_the_page_is_read_in_one_query(cast):
    made = _cases_about_naka(cast)
    selectors.case_search_page(user=cast.counselor, text="中")  # the reader's desks, once
    with CaptureQueriesContext(connection) as queries:
        page = selectors.case_search_page(user=cast.counselor, text="中", number=1, size=4)
    assert len(queries) == 1
    assert [case["id"] for case in page.rows] == [made[0].pk, made[1].pk, made[2].pk, made[6].pk]
    assert page.has_next


def test_a_one_character_word_rare_among_the_newest_cases_is_read_from_the_set(cast, monkeypatch):
    made = _cases_about_naka(cast)
    monkeypatch.setattr(case_selectors, "WALK_WINDOW", 10)
    selectors.case_search_page(user=cast.counselor, text="中")  # the reader's desks, once
    with CaptureQueriesContext(connection) as queries:
        page = selectors.case_search_page(user=cast.counselor, text="中", number=2, size=4)
    assert len(queries) == 2
    assert [case["id"] for case in page.rows] == [made[n].pk for n in (7, 8, 12, 13)]


@pytest.mark.parametrize("window", [5, 8, 10_000])
@pytest.mark.parametrize("text", ["中島", "なかじま", "中島工場"])
def test_a_longer_word_gives_the_pages_of_the_ordered_search_whatever_the_window(
    cast, monkeypatch, window, text
):
    _cases_about_naka(cast)
    monkeypatch.setattr(case_selectors, "SEARCH_WINDOW", window)
    user = cast.counselor

    def windowed(number: int) -> Page:
        return selectors.case_search_page(user=user, text=text, number=number, size=4)

    def ordered(number: int) -> Page:
        return page_of(selectors.case_search(user=user, text=text), number=number, size=4)

    expected = _pages(ordered, 5)
    assert _pages(windowed, 5) == expected
    assert (
        sum(len(rows) for rows, _ in expected) == {"中島": 18, "なかじま": 6, "中島工場": 6}[text]
    )


def test_a_longer_word_whose_matches_fill_the_page_among_the_newest_cases_is_read_in_two_queries(
    cast, monkeypatch
):
    made = _cases_about_naka(cast)
    monkeypatch.setattr(case_selectors, "SEARCH_WINDOW", 8)
    selectors.case_search_page(user=cast.counselor, text="中島")  # the reader's desks, once

    def first_page() -> tuple[list[int], int]:
        with CaptureQueriesContext(connection) as queries:
            page = selectors.case_search_page(user=cast.counselor, text="中島", size=4)
        return [case["id"] for case in page.rows], len(queries)

    assert first_page() == ([made[0].pk, made[1].pk, made[2].pk, made[6].pk], 2)
    # Four times as many older matches: the same page, the same queries.
    now = timezone.now()
    for n in range(72):
        case = CaseFactory(
            desk=desk("yorozu"),
            title=f"中島工場の相談{n}",
            opened_at=now - dt.timedelta(days=40 + n),
        )
        SessionFactory(case=case, summary="中島さんと面談")
    assert first_page() == ([made[0].pk, made[1].pk, made[2].pk, made[6].pk], 2)


def test_a_longer_word_rare_among_the_newest_cases_is_read_from_the_set(cast, monkeypatch):
    made = _cases_about_naka(cast)
    # The newest five cases hold three of the counselor's matches: not a page of four and more.
    monkeypatch.setattr(case_selectors, "SEARCH_WINDOW", 5)
    selectors.case_search_page(user=cast.counselor, text="中島")  # the reader's desks, once
    with CaptureQueriesContext(connection) as queries:
        page = selectors.case_search_page(user=cast.counselor, text="中島", size=4)
    assert len(queries) == 3
    assert [case["id"] for case in page.rows] == [made[0].pk, made[1].pk, made[2].pk, made[6].pk]


def test_the_window_of_the_newest_cases_names_every_month_it_spans():
    # Dates to come, so that the current month (always in the window) is before them.
    opened = [
        dt.datetime(2099, 10, 20, tzinfo=dt.UTC),
        dt.datetime(2099, 11, 30, 23, tzinfo=dt.UTC),
        dt.datetime(2100, 1, 2, tzinfo=dt.UTC),
        dt.datetime(2100, 2, 1, tzinfo=dt.UTC),
    ]
    for at in opened:
        CaseFactory(opened_at=at)
    window = case_selectors.newest_cases(size=3)
    assert window.opened_from == opened[1]
    assert window.months == ["2099-11", "2099-12", "2100-01", "2100-02"]
    assert case_selectors.newest_cases(size=5) is None


def test_the_window_of_the_newest_cases_reaches_the_current_month():
    CaseFactory(opened_at=timezone.now() - dt.timedelta(days=70))
    window = case_selectors.newest_cases(size=1)
    assert window.months[-1] == timezone.now().astimezone(dt.UTC).strftime("%Y-%m")
    assert len(window.months) in (3, 4)


@needs_postgres
@pytest.mark.postgres
def test_the_newest_cases_matches_are_read_by_one_scan_of_the_grams_and_months_index(cast):
    CaseFactory(title="特許の相談")
    window = case_selectors.newest_cases(size=1)
    queryset = selectors.case_search(user=cast.coordinator, text="中島", within=window)
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")
    assert "(grams @> '{中島}'::text[]) AND (opened_month && " in plan, plan
    # The matching clients' cases of the window only (the decade's plan reads them through
    # `case_client_opened_at`; a table this small may be read by date).
    assert plan.count("opened_at >= ") >= 2, plan


@needs_postgres
@pytest.mark.postgres
def test_the_matching_cases_are_fetched_by_id_and_a_clients_cases_through_its_index(cast):
    CaseFactory(title="特許の相談")
    queryset = selectors.case_search(user=cast.coordinator, text="中島")
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "(id = ANY ($" in plan, plan
    assert "(client_id = ANY ($" in plan, plan
    # The page's order alone: the set's parts are not sorted by their models' orders.
    assert plan.count("opened_at DESC") == 1, plan
    assert "name_kana_search" not in plan and "started_at" not in plan, plan


def test_the_rows_of_the_search_and_of_a_clients_cases_hold_the_keys_their_types_name(cast):
    client = ClientFactory(name="中島商店")
    CaseFactory(client=client, title="中島工場の相談", closed_at=timezone.now())
    user = cast.counselor

    found = list(selectors.case_search(user=user, text="中島"))
    listed = list(selectors.client_case_rows_for_user(user=user, client=client))

    assert len(found) == len(listed) == 1
    assert found[0].keys() == case_selectors.SearchCaseRow.__annotations__.keys()
    assert listed[0].keys() == case_selectors.ClientCaseRow.__annotations__.keys()
    assert found[0]["client__name"] == "中島商店" and listed[0]["closed_at"] is not None
