"""A one-gram word's search read through statements compiled once per login's facts, the
word's length and the page (docs/performance.md, "A one-gram word's search compiled once"):
for every login of the cast, each page of the web search's cases (walked, among the newest,
among every match) and clients sends the statement and the parameters the ORM sends when it
builds the page afresh, and reads the same rows; other words, and pages past the first few,
are built through the ORM as before."""

from __future__ import annotations

from functools import partial

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casebook.intake import policy, selectors
from casebook.intake.selectors import cases as case_selectors
from casebook.intake.selectors import clients as client_selectors
from tests.api.test_case_search_window import NO_WINDOW, _cases_about_nakajima
from tests.markers import needs_postgres

pytestmark = [pytest.mark.django_db, needs_postgres, pytest.mark.postgres]

# 「中」 is walked, 「中島」 and its reading in hiragana (folded onto katakana) are one gram
# each; 「特許」 is held by no case here.
ONE_GRAM_WORDS = ("中", "中島", "なか", "特許")


def _sent(read):
    """What `read()` sends (each statement with its parameters, as the database received
    them) and what it gives."""
    with CaptureQueriesContext(connection) as captured:
        answer = read()
    return [query["sql"] for query in captured.captured_queries], answer


def _same_as_built_afresh(read, monkeypatch) -> list:
    prepared = _sent(read)
    with monkeypatch.context() as built_afresh:
        built_afresh.setattr(client_selectors, "PREPARED_SEARCH_PAGES", 0)
        fresh = _sent(read)
    assert prepared[0] == fresh[0]
    assert [dict(row) for row in prepared[1]] == [dict(row) for row in fresh[1]]
    assert prepared[1].has_next == fresh[1].has_next
    return list(prepared[1])


@pytest.mark.parametrize("window", [NO_WINDOW, 8])
def test_a_one_gram_words_case_pages_send_the_orms_statements_and_read_its_rows_for_every_login(
    cast, monkeypatch, window
):
    _cases_about_nakajima(cast)
    monkeypatch.setattr(case_selectors, "SEARCH_WINDOW", window)
    found = {}
    for user in vars(cast).values():
        policy.desk_roles(user)  # the login's memberships, read once per user object
        for word in ONE_GRAM_WORDS:
            for number in (1, 2, 3):
                found[user.username, word, number] = _same_as_built_afresh(
                    partial(
                        selectors.case_search_page, user=user, text=word, number=number, size=4
                    ),
                    monkeypatch,
                )
    assert len(found["manager", "中島", 1]) == 4
    assert found["manager", "なか", 1]  # 中島商店's reading, ナカジマショウテン
    assert not found["manager", "特許", 1]
    assert not found["outsider", "中島", 1]


def test_a_one_gram_words_client_pages_send_the_orms_statements_and_read_its_rows_for_every_login(
    cast, monkeypatch
):
    _cases_about_nakajima(cast)
    for user in vars(cast).values():
        policy.desk_roles(user)
        for word in ONE_GRAM_WORDS:
            for number in (1, 2, 3):
                rows = _same_as_built_afresh(
                    partial(
                        selectors.client_search_page, user=user, text=word, number=number, size=2
                    ),
                    monkeypatch,
                )
                if user == cast.manager and word == "中島" and number == 1:
                    assert [row["name"][:2] for row in rows] == ["中島", "中島"]


def test_a_word_with_a_digit_or_of_three_characters_and_a_far_page_keep_no_statement(cast):
    _cases_about_nakajima(cast)
    user = cast.counselor
    selectors.case_search_page(user=user, text="中島", number=1, size=4)
    kept = len(policy._BUILT_FOR_VIEWERS)
    # A digit may be a case number's, which a one-gram word's statement does not look for.
    assert selectors.case_search_page(user=user, text="1", number=1, size=4) is not None
    selectors.case_search_page(user=user, text="中島工場", number=1, size=4)
    far = client_selectors.PREPARED_SEARCH_PAGES + 1
    assert selectors.case_search_page(user=user, text="中島", number=far, size=4).number == far
    selectors.client_search_page(user=user, text="中島", number=far, size=4)
    assert len(policy._BUILT_FOR_VIEWERS) == kept
