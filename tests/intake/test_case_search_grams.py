"""What a case is found by when its title or its sessions change (docs/performance.md,
"Search"): on PostgreSQL the grams of a case's title and summaries are one row per case,
kept by triggers on every write; elsewhere the search reads the rows themselves. The results
are the same either way."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from casebook.common.japanese import search_key
from casebook.intake import selectors, services
from casebook.intake.models import Case, CaseSearchGrams, CaseShare, ConsultationSession
from tests.factories import CaseFactory, SessionFactory, case_in_state, desk
from tests.intake.writers import duplicate_and_survivor, log_session, merge
from tests.markers import needs_postgres

pytestmark = pytest.mark.django_db


def _found(user, text: str) -> set[int]:
    return set(selectors.case_search(user=user, text=text).values_list("pk", flat=True))


@pytest.fixture
def case(cast):
    return case_in_state("assigned", lead=cast.counselor, by=cast.coordinator)


def test_a_logged_summary_makes_its_case_found(cast, case):
    assert case.pk not in _found(cast.counselor, "特許")
    log_session(case, cast.counselor, summary="特許の出願を検討している。")
    assert case.pk in _found(cast.counselor, "特許")


def test_an_edited_summary_is_found_by_its_new_words_only(cast, case):
    session = log_session(case, cast.counselor, summary="特許の出願を検討している。")
    services.session_update(
        session=session, by=cast.counselor, expected_version=1, summary="廃業を考えている。"
    )
    assert case.pk not in _found(cast.counselor, "特許")
    assert case.pk in _found(cast.counselor, "廃業")


def test_a_deleted_session_no_longer_finds_its_case(cast, case):
    session = log_session(case, cast.counselor, summary="特許の出願を検討している。")
    kept = log_session(case, cast.counselor, summary="販路の開拓")
    ConsultationSession.objects.filter(pk=session.pk).delete()
    assert case.pk not in _found(cast.counselor, "特許")
    assert case.pk in _found(cast.counselor, "販路")
    kept.delete()
    assert case.pk not in _found(cast.counselor, "販路")
    assert case.pk in _found(cast.counselor, "資金")  # the title, 資金繰りの相談, stays


def test_a_merged_duplicates_sessions_find_the_surviving_case(cast):
    duplicate, survivor = duplicate_and_survivor(
        cast, duplicate={"title": "販路の相談"}, survivor={"title": "経営の相談"}
    )
    log_session(duplicate, cast.counselor, summary="意匠登録の相談を受けた。")
    merge(duplicate, survivor, by=cast.coordinator)
    assert _found(cast.counselor, "意匠") == {survivor.pk}


def test_a_changed_title_is_found_by_its_new_words_only(cast, case):
    Case.objects.filter(pk=case.pk).update(title="商標の相談")
    assert case.pk in _found(cast.counselor, "商標")
    assert case.pk not in _found(cast.counselor, "資金")


def test_a_summary_in_either_kana_or_width_is_found_by_the_others(cast, case):
    log_session(case, cast.counselor, summary="キャッシュフローの改善とIT導入")
    assert case.pk in _found(cast.counselor, "きゃっしゅ")
    assert case.pk in _found(cast.counselor, "ｷｬｯｼｭ")
    assert case.pk in _found(cast.counselor, "it導入")
    assert case.pk in _found(cast.counselor, "改善")


def test_a_longer_word_split_between_title_and_summary_is_not_found(cast):
    case = CaseFactory(title="許庁の相談")
    SessionFactory(case=case, summary="特許について")  # 特許 and 許庁, never 特許庁
    whole = CaseFactory(title="経営の相談")
    SessionFactory(case=whole, summary="特許庁へ出願した")
    assert _found(cast.manager, "特許庁") == {whole.pk}


def test_a_restricted_or_other_desks_case_stays_hidden_whatever_its_summary_says(cast):
    restricted = CaseFactory(title="経営の相談", confidentiality="restricted")
    SessionFactory(case=restricted, summary="特許を売却して廃業する。")
    other_desk = CaseFactory(title="経営の相談", desk=desk("ip"))
    SessionFactory(case=other_desk, summary="特許の出願")
    assert _found(cast.counselor, "特許") == set()
    assert restricted.pk in _found(cast.exit_team, "特許")
    assert _found(cast.manager, "特許") == {restricted.pk, other_desk.pk}


# --- the rows themselves, on PostgreSQL -------------------------------------------------------


def _expected_grams(case: Case) -> set[str]:
    texts = [case.title, *case.sessions.values_list("summary", flat=True)]
    keys = [search_key(text) for text in texts]
    return {key[i : i + n] for key in keys for n in (1, 2) for i in range(len(key) - n + 1)}


def _stored_grams(case: Case) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT grams FROM intake_case_search_grams WHERE case_id = %s", [case.pk])
        row = cursor.fetchone()
    return set(row[0]) if row else set()


@needs_postgres
@pytest.mark.postgres
def test_every_writer_keeps_a_cases_grams_equal_to_its_title_and_summaries(cast):
    first = CaseFactory(title="特許の相談")
    second = CaseFactory(title="販路の相談")
    SessionFactory.create_batch(2, case=first, summary="出願の準備")
    ConsultationSession.objects.bulk_create(
        [
            ConsultationSession(
                case=second,
                desk=second.desk,
                client=second.client,
                started_at=timezone.now(),
                duration_minutes=30,
                mode="phone",
                summary=summary,
            )
            for summary in ("キャッシュフロー", "資金繰り表")
        ]
    )
    ConsultationSession.objects.filter(case=first).update(summary="商標の登録")
    ConsultationSession.objects.filter(case=second).update(case=first)
    Case.objects.filter(pk=second.pk).update(title="経営改善の相談")
    for case in (first, second):
        case.refresh_from_db()
        assert _stored_grams(case) == _expected_grams(case), case.title
    second.delete()
    assert not CaseSearchGrams.objects.filter(case_id=second.pk).exists()
    assert CaseSearchGrams.objects.filter(case_id=first.pk).exists()


@needs_postgres
@pytest.mark.postgres
def test_every_case_has_its_row_of_grams(cast):
    CaseFactory.create_batch(3)
    assert CaseSearchGrams.objects.count() == Case.objects.count()


def test_a_case_moved_to_another_desk_or_made_restricted_leaves_its_readers_search(cast):
    case = CaseFactory(title="特許の相談")
    assert _found(cast.counselor, "特許") == {case.pk}
    Case.objects.filter(pk=case.pk).update(desk=desk("ip"))
    assert _found(cast.counselor, "特許") == set()
    Case.objects.filter(pk=case.pk).update(desk=desk("yorozu"), confidentiality="restricted")
    assert _found(cast.counselor, "特許") == set()
    Case.objects.filter(pk=case.pk).update(lead_counselor=cast.counselor)
    assert _found(cast.counselor, "特許") == {case.pk}  # the lead sees a restricted case


@needs_postgres
@pytest.mark.postgres
def test_a_cases_row_copies_its_desk_lead_and_confidentiality(cast):
    case = CaseFactory(title="特許の相談")
    Case.objects.filter(pk=case.pk).update(
        desk=desk("ip"), lead_counselor=cast.counselor, confidentiality="restricted"
    )
    row = CaseSearchGrams.objects.get(case_id=case.pk)
    assert (row.desk_id, row.lead_counselor_id, row.confidentiality) == (
        desk("ip").pk,
        cast.counselor.pk,
        "restricted",
    )


@needs_postgres
@pytest.mark.postgres
def test_a_cases_row_holds_the_month_it_was_opened_in_utc(cast):
    case = CaseFactory(title="特許の相談", opened_at=dt.datetime(2026, 3, 31, 16, tzinfo=dt.UTC))
    assert CaseSearchGrams.objects.get(case_id=case.pk).opened_month == ["2026-03"]
    Case.objects.filter(pk=case.pk).update(opened_at=dt.datetime(2026, 4, 1, tzinfo=dt.UTC))
    assert CaseSearchGrams.objects.get(case_id=case.pk).opened_month == ["2026-04"]


def _row_version(case: Case) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ctid::text FROM intake_case_search_grams WHERE case_id = %s", [case.pk]
        )
        return cursor.fetchone()[0]


@needs_postgres
@pytest.mark.postgres
def test_a_sessions_insert_adds_its_grams_to_its_cases_row_and_leaves_a_row_it_adds_nothing_to(
    cast,
):
    busy = CaseFactory(title="特許の相談")
    SessionFactory.create_batch(3, case=busy, summary="出願の準備")
    SessionFactory(case=busy, summary="商標の登録")
    busy.refresh_from_db()
    assert _stored_grams(busy) == _expected_grams(busy)
    written = _row_version(busy)
    SessionFactory(case=busy, summary="出願の準備")  # no gram the row lacks
    assert _row_version(busy) == written
    assert _stored_grams(busy) == _expected_grams(busy)


@needs_postgres
@pytest.mark.postgres
def test_a_case_without_its_row_of_grams_gets_it_whole_with_its_next_session(cast):
    case = CaseFactory(title="特許の相談")
    SessionFactory(case=case, summary="出願の準備")
    CaseSearchGrams.objects.filter(case_id=case.pk).delete()
    SessionFactory(case=case, summary="商標の登録")
    assert _stored_grams(case) == _expected_grams(case)


def _shared_desks(case: Case) -> list[int]:
    return CaseSearchGrams.objects.get(case_id=case.pk).shared_desk_ids


@needs_postgres
@pytest.mark.postgres
def test_a_cases_row_holds_the_desks_it_is_shared_with_as_shares_come_and_go(cast):
    case = CaseFactory(title="特許の相談", desk=desk("yorozu"))
    assert _shared_desks(case) == []
    services.case_share_grant(case=case, desk=desk("ip"), source="referral:1")
    services.case_share_grant(case=case, desk=desk("ip"), source="referral:2")
    services.case_share_grant(case=case, desk=desk("trade"), source="referral:2")
    assert _shared_desks(case) == sorted([desk("ip").pk, desk("trade").pk])
    services.case_share_revoke(source="referral:2")
    assert _shared_desks(case) == [desk("ip").pk]  # the first share still holds
    CaseShare.objects.filter(case=case).update(desk=desk("subcontract"))
    assert _shared_desks(case) == [desk("subcontract").pk]
    other = CaseFactory(title="販路の相談")
    CaseShare.objects.filter(case=case).update(case=other)
    assert (_shared_desks(case), _shared_desks(other)) == ([], [desk("subcontract").pk])
    with connection.cursor() as cursor:
        # The foreign keys' checks run first: a table with checks pending is not truncated.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE intake_caseshare")
    assert _shared_desks(other) == []


@needs_postgres
@pytest.mark.postgres
def test_a_refresh_of_many_cases_or_of_one_finds_their_shared_desks_again(cast):
    """A refresh of more than `BULK` cases is planned for its size (`0028`): both ways find
    the same desks."""
    case = CaseFactory(title="特許の相談")
    services.case_share_grant(case=case, desk=desk("ip"), source="referral:1")
    for refresh, ids in (
        ("casebook_case_grams_refresh", [case.pk]),
        ("casebook_case_shares_refresh", [case.pk]),
        ("casebook_case_grams_refresh", [case.pk, *range(-600, 0)]),
        ("casebook_case_shares_refresh", [case.pk, *range(-600, 0)]),
    ):
        CaseSearchGrams.objects.filter(case_id=case.pk).update(shared_desk_ids=[])
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {refresh}(%s::bigint[])", [ids])
        assert _shared_desks(case) == [desk("ip").pk], (refresh, len(ids))


def test_a_case_shared_with_a_desk_is_found_by_its_members_while_it_is_normal(cast):
    case = CaseFactory(title="特許の相談", desk=desk("ip"))
    assert _found(cast.counselor, "特許") == set()
    services.case_share_grant(case=case, desk=desk("yorozu"), source="referral:1")
    assert _found(cast.counselor, "特許") == {case.pk}
    Case.objects.filter(pk=case.pk).update(confidentiality="confidential")
    assert _found(cast.counselor, "特許") == set()
    Case.objects.filter(pk=case.pk).update(confidentiality="normal")
    services.case_share_revoke(source="referral:1")
    assert _found(cast.counselor, "特許") == set()
