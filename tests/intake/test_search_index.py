"""The search's gram index (docs/performance.md, "Search"): the SQL search key is the Python
one, and the searches are served by the GIN indexes rather than a scan."""

from __future__ import annotations

import pytest
from django.db import connection

from casebook.common.japanese import search_key
from casebook.common.search import search_grams, to_hiragana
from casebook.intake import selectors
from casebook.intake.models import Case, CaseShare
from tests.factories import CaseFactory, desk
from tests.markers import needs_postgres

SAMPLES = [
    "株式会社中島製作所",
    "かぶしきがいしゃ　なかじま",
    "ＡＢＣ商事（有）",
    "キャッシュフロー 改善",
    "ｶﾌﾞｼｷｶﾞｲｼｬ",
    "ゔぁいおりん",
    "  特許\t出願\n",
]


def test_a_word_of_one_or_two_characters_is_its_own_gram():
    assert search_grams("島") == ["島"]
    assert search_grams("中島") == ["中島"]
    assert search_grams("特許庁") == ["特許", "許庁"]
    assert search_grams("") == []


def test_katakana_turns_back_into_hiragana_for_the_like_fallback():
    assert to_hiragana("ナカジマ・ヴ") == "なかじま・ゔ"


@needs_postgres
@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("text", SAMPLES)
def test_the_sql_search_key_is_the_python_one(text):
    with connection.cursor() as cursor:
        cursor.execute("SELECT casebook_search_key(%s), casebook_search_grams(%s)", [text, text])
        key, grams = cursor.fetchone()
    assert key == search_key(text)
    expected = {key[i : i + n] for n in (1, 2) for i in range(len(key) - n + 1)}
    assert set(grams) == expected


def _plan(queryset) -> str:
    with connection.cursor() as cursor:
        sql, params = queryset.query.sql_with_params()
        cursor.execute("SET enable_seqscan = off")
        try:
            cursor.execute("EXPLAIN " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")


@needs_postgres
@pytest.mark.postgres
@pytest.mark.parametrize(
    ("text", "clients_index"),
    [
        # A word of one or two characters: its clients' ids from the client grams' key.
        ("中島", "intake_client_search_grams_pkey"),
        ("島", "intake_client_search_grams_pkey"),
        ("なかじま製作所", "client_name_grams"),
    ],
)
def test_the_case_search_reads_the_gram_indexes(cast, text, clients_index):
    CaseFactory(title="特許の相談")
    plan = _plan(selectors.case_search(user=cast.manager, text=text))
    for index in ("case_search_grams", clients_index):
        assert index in plan, plan


@needs_postgres
@pytest.mark.postgres
def test_a_desk_readers_matches_are_read_from_its_desks_and_its_cases_in_the_index(cast):
    # A word other desks hold is not read from their rows (docs/performance.md, "A word
    # other desks hold", "The shared cases' matches"): the desk, the lead and the desks a
    # case is shared with are conditions of the grams index's scan.
    # Enough of another desk's cases holding the word that a scan of its rows costs more
    # than the index's intersection, as on a database of a few years.
    held = CaseFactory.build_batch(2000, title="特許の相談", desk=desk("ip"))
    for case in held:
        case.client.save()
        case.client_id = case.client.pk
    Case.objects.bulk_create(held)
    CaseShare.objects.bulk_create(
        CaseShare(case=case, desk=desk("yorozu"), source="referral") for case in held[:20]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE intake_case_search_grams")
    plan = _plan(selectors.case_search(user=cast.counselor, text="特許"))
    scans = [line for line in plan.splitlines() if "Index Cond: ((grams @>" in line]
    assert any("desk_id = ANY" in line for line in scans), plan
    assert any("lead_counselor_id = ANY" in line for line in scans), plan
    assert any("shared_desk_ids &&" in line for line in scans), plan
