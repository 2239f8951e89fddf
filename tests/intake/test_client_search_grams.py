"""The clients of a word of one or two characters, read in reading order from the client
grams (docs/performance.md, "A short word's clients in reading order"): the same rows in the
same order as the id sets of the name's and the reading's gram indexes, for every caller and
order; and on PostgreSQL the table equals what its grams function computes after every
writer of clients."""

from __future__ import annotations

import datetime as dt
import io
import itertools

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from casebook.common.japanese import search_key
from casebook.common.paging import page_of
from casebook.common.search import among_ids, text_matches
from casebook.intake import selectors, services
from casebook.intake.demo.bulk import BulkWriter, next_id
from casebook.intake.models import Client
from casebook.intake.selectors.clients import SEARCH_CLIENT_COLUMNS, client_ids_matching
from tests.factories import CaseFactory, ClientFactory
from tests.intake.writers import save_in_admin
from tests.markers import needs_postgres

pytestmark = pytest.mark.django_db

FAMILIES = [("中島", "なかじま"), ("中村", "ナカムラ"), ("田中", "タナカ"), ("山中", "やまなか")]
TRADES = [("商事", "ショウジ"), ("製作所", "せいさくしょ"), ("工業", "コウギョウ"), ("", "")]
FORMS = [("株式会社", "カブシキガイシャ"), ("", ""), ("(有)", "ユウゲンガイシャ")]

# One and two characters: kanji, hiragana and katakana (folded onto each other), half-width
# kana, a pair across a name's words, a gram of the reading only, of the name only, of both.
WORDS = [
    "中",
    "島",
    "中島",
    "島商",
    "なか",
    "ナカ",
    "ｶﾞ",
    "か",
    "さん",
    "ショ",
    "所",
    "有",
    "(",
    "ぎょ",
    "無い",
]


def _clients() -> list[Client]:
    """Clients whose names and readings share their grams, several with one reading (the id
    decides between them) and some with no reading at all."""
    rows = []
    for (family, family_kana), (trade, trade_kana), (form, form_kana) in itertools.product(
        FAMILIES, TRADES, FORMS
    ):
        for copy in range(2):
            name = f"{form}{family}{trade}" + (f" 第{copy}" if copy else "")
            kana = "" if trade == "" and copy else f"{form_kana}{family_kana}{trade_kana}"
            rows.append(
                Client(
                    kind="company",
                    name=name,
                    name_kana=kana,
                    name_search=search_key(name),
                    name_kana_search=search_key(kana),
                )
            )
    return Client.objects.bulk_create(rows)


def _by_gram_indexes(clients: QuerySet[Client], text: str) -> QuerySet[Client]:
    """The search as it read every client of a word before: the union of the name's and the
    reading's id sets, each read through its gram index."""
    name, reading = (
        Client.objects.filter(text_matches(column, text)).values("pk").order_by()
        for column in ("name", "name_kana")
    )
    return clients.filter(among_ids("pk", name.union(reading)))


def _ids(queryset: QuerySet[Client]) -> list[int]:
    return list(queryset.values_list("pk", flat=True))


@pytest.mark.parametrize("text", WORDS)
def test_a_short_words_clients_are_those_of_the_gram_indexes_in_the_same_order(text):
    _clients()
    found = selectors.clients_matching(Client.objects.all(), text)
    before = _by_gram_indexes(Client.objects.all(), text)
    assert _ids(found) == _ids(before)
    for start in (0, 5, 17, 40):
        assert _ids(found[start : start + 6]) == _ids(before[start : start + 6])
    assert found.count() == before.count()


@pytest.mark.parametrize("text", WORDS)
def test_a_short_words_client_ids_are_those_of_the_gram_indexes(text):
    _clients()
    ids = client_ids_matching(text)
    assert sorted(value for row in ids.order_by() for value in row.values()) == sorted(
        _ids(_by_gram_indexes(Client.objects.all(), text))
    )
    # As the case search reads them: the cases of those clients.
    assert set(Client.objects.filter(pk__in=ids).values_list("pk", flat=True)) == set(
        _ids(_by_gram_indexes(Client.objects.all(), text))
    )


def test_the_short_words_found_cover_every_kind_of_match():
    _clients()
    found = {text: _ids(selectors.clients_matching(Client.objects.all(), text)) for text in WORDS}
    assert len(found["中"]) == 96 and found["なか"] == found["ナカ"]
    assert found["無い"] == []
    assert found["ぎょ"] and found["ショ"] and found["("]
    assert 0 < len(found["島商"]) < len(found["島"])


@pytest.mark.parametrize("ordering", [("-created_at", "-id"), ("name", "id"), ("-id",)])
@pytest.mark.parametrize("text", ["中", "なか", "島商"])
def test_a_short_word_ordered_otherwise_keeps_the_rows_of_that_order(text, ordering):
    _clients()
    found = selectors.clients_matching(Client.objects.all(), text).order_by(*ordering)
    before = _by_gram_indexes(Client.objects.all(), text).order_by(*ordering)
    assert _ids(found) == _ids(before)
    assert _ids(found.filter(name__contains="株式")[3:9]) == _ids(
        before.filter(name__contains="株式")[3:9]
    )


def test_the_web_search_lists_a_short_words_clients_page_by_page_as_before(cast):
    _clients()
    for text in ("中", "ナカ", "中島"):
        rows = list(selectors.client_search_rows(user=cast.counselor, text=text))
        before = _by_gram_indexes(Client.objects.all(), text).values(*SEARCH_CLIENT_COLUMNS)
        assert rows == list(before)


@pytest.mark.parametrize("text", ["中", "ナカ", "島商", "ぎょ", "無い", "12"])
def test_the_web_searchs_pages_of_clients_are_those_of_the_whole_list_sliced(cast, text):
    _clients()
    before = _by_gram_indexes(Client.objects.all(), text).values(*SEARCH_CLIENT_COLUMNS)
    for number in (1, 2, 3, 7, 14, 15, 16):
        page = selectors.client_search_page(user=cast.counselor, text=text, number=number, size=7)
        expected = page_of(before, number=number, size=7)
        assert (page.rows, page.number, page.has_next) == (
            expected.rows,
            expected.number,
            expected.has_next,
        ), number
    assert not selectors.client_search_page(user=cast.outsider, text=text, number=1, size=7).rows


def test_digits_of_one_or_two_characters_still_find_a_corporate_number():
    number = ClientFactory(corporate_number="1234567890123", name="株式会社一二")
    ClientFactory(name="株式会社十二")
    assert _ids(selectors.clients_matching(Client.objects.all(), "12")) == [number.pk]
    assert _ids(selectors.clients_matching(Client.objects.all(), "１２")) == [number.pk]


def test_an_edited_or_merged_client_is_found_by_its_new_name_only(cast):
    client = services.client_create(
        by=cast.coordinator, kind="company", name="株式会社山田", name_kana="ヤマダ"
    )
    assert _ids(selectors.clients_matching(Client.objects.all(), "山田")) == [client.pk]
    services.client_update(
        client=client,
        by=cast.coordinator,
        expected_version=client.version,
        name="株式会社森",
        name_kana="もり",
    )
    assert _ids(selectors.clients_matching(Client.objects.all(), "山田")) == []
    assert _ids(selectors.clients_matching(Client.objects.all(), "森")) == [client.pk]
    assert _ids(selectors.clients_matching(Client.objects.all(), "モリ")) == [client.pk]
    absorbed = services.client_create(
        by=cast.coordinator, kind="company", name="森商店", name_kana="", allow_duplicate=True
    )
    # The client without a reading comes first.
    assert _ids(selectors.clients_matching(Client.objects.all(), "森")) == [absorbed.pk, client.pk]
    services.client_merge(survivor=client, absorbed=absorbed, by=cast.coordinator)
    assert _ids(selectors.clients_matching(Client.objects.all(), "森")) == [client.pk]
    assert _ids(selectors.clients_matching(Client.objects.all(), "商店")) == []


# --- the rows themselves, on PostgreSQL -------------------------------------------------------


def _grams(text: str) -> set[str]:
    key = search_key(text)
    return {key[i : i + n] for n in (1, 2) for i in range(len(key) - n + 1)}


def _expected_rows() -> set[tuple[str, str, int]]:
    return {
        (gram, reading, pk)
        for pk, name, kana, reading in Client.objects.values_list(
            "pk", "name", "name_kana", "name_kana_search"
        )
        for gram in _grams(name) | _grams(kana)
    }


def _stored_rows() -> set[tuple[str, str, int]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT gram, reading, client_id FROM intake_client_search_grams")
        rows = cursor.fetchall()
    assert len(rows) == len(set(rows))
    return set(rows)


def _assert_kept() -> None:
    expected = _expected_rows()
    assert expected, "no client has a gram"
    assert _stored_rows() == expected


@needs_postgres
@pytest.mark.postgres
def test_every_writer_of_clients_keeps_their_grams_equal_to_their_names_and_readings(cast):
    _clients()
    _assert_kept()
    created = services.client_create(
        by=cast.coordinator, kind="company", name="株式会社ｻﾝﾌﾟﾙ", name_kana="さんぷる"
    )
    _assert_kept()
    services.client_update(
        client=created, by=cast.coordinator, expected_version=1, name="サンプル商会"
    )
    _assert_kept()
    created.refresh_from_db()
    save_in_admin(created, by=cast.manager, changed=["name_kana"])
    Client.objects.filter(name__startswith="株式会社中島").update(name_kana_search="")
    _assert_kept()
    Client.objects.filter(name__contains="工業").update(phone="029-111-2222")  # not a key
    _assert_kept()
    survivor, absorbed = Client.objects.filter(name__contains="中村").order_by("pk")[:2]
    services.client_merge(survivor=survivor, absorbed=absorbed, by=cast.coordinator)
    assert not Client.objects.filter(pk=absorbed.pk).exists()
    _assert_kept()
    Client.objects.filter(name__contains="山中").delete()
    _assert_kept()


@needs_postgres
@pytest.mark.postgres
def test_the_load_generators_copy_and_the_retention_run_keep_the_grams(cast):
    first = next_id(Client)
    BulkWriter(Client).write(
        {
            "id": first + n,
            "kind": "company",
            "name": f"中島工業{n}",
            "name_kana": "ナカジマコウギョウ",
            "name_search": search_key(f"中島工業{n}"),
            "name_kana_search": "ナカジマコウギョウ",
        }
        for n in range(3)
    )
    _assert_kept()
    long_ago = timezone.now() - dt.timedelta(days=365 * 8)
    old = ClientFactory(name="古川商店", name_kana="フルカワショウテン")
    Client.objects.filter(pk=old.pk).update(created_at=long_ago)
    CaseFactory(
        client=old,
        opened_at=long_ago,
        status="closed",
        closed_at=long_ago,
        closure_reason="resolved",
        closure_summary="解決",
    )
    call_command("retention", "--years", "5", stdout=io.StringIO())
    old.refresh_from_db()
    assert old.anonymised_at is not None
    _assert_kept()
    assert _ids(selectors.clients_matching(Client.objects.all(), "古川")) == []


@needs_postgres
@pytest.mark.postgres
def test_the_load_generator_leaves_every_client_with_its_grams(cast):
    call_command("generate_load", "--force", "--scale", "0.002", stdout=io.StringIO())
    assert Client.objects.count() > 50
    _assert_kept()


@needs_postgres
@pytest.mark.postgres
def test_a_truncated_client_table_leaves_no_grams(cast):
    _clients()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE intake_client CASCADE")
    assert _stored_rows() == set()


@needs_postgres
@pytest.mark.postgres
@pytest.mark.parametrize("text", ["中", "中島", "さん"])
def test_a_short_words_clients_are_read_from_the_client_grams_in_the_clients_order(text):
    _clients()
    queryset = selectors.clients_matching(Client.objects.all(), text)[:51]
    with connection.cursor() as cursor:
        sql, params = queryset.query.sql_with_params()
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_sort = off")
        try:
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_sort")
    assert "intake_client_search_grams_pkey" in plan, plan
    assert "Sort" not in plan, plan
