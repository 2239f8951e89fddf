from __future__ import annotations

import datetime as dt

import pytest
from django.template import engines
from django.utils import timezone, translation
from rest_framework.test import APIClient

from casebook.common.japanese import search_key
from casebook.intake.models import Case
from tests.factories import CaseFactory, ClientFactory, SessionFactory
from tests.web.conftest import in_english, login


def test_search_finds_clients_by_kana_and_cases_by_number(cast, client, active_case):
    login(client, cast.counselor)
    page = client.get("/search/", {"q": "かぶしきがいしゃてすと"}).content.decode()
    assert f"/clients/{active_case.client.pk}/" in page
    page = client.get("/search/", {"q": active_case.number}).content.decode()
    assert f"/cases/{active_case.pk}/" in page


def test_search_finds_cases_by_their_client_name(cast, client, active_case):
    page = (
        login(client, cast.counselor)
        .get("/search/", {"q": active_case.client.name})
        .content.decode()
    )
    assert f"/cases/{active_case.pk}/" in page


def test_search_leaves_out_cases_the_user_may_not_see(cast, client, active_case, restricted_case):
    page = login(client, cast.colleague).get("/search/", {"q": "yorozu"}).content.decode()
    assert active_case.number not in page
    page = login(client, cast.counselor).get("/search/", {"q": "廃業"}).content.decode()
    assert restricted_case.number not in page
    page = login(client, cast.exit_team).get("/search/", {"q": "廃業"}).content.decode()
    assert restricted_case.number in page


def test_a_login_without_a_role_finds_nothing(cast, client, active_case):
    page = (
        login(client, cast.outsider)
        .get("/search/", {"q": active_case.client.name})
        .content.decode()
    )
    assert f"/clients/{active_case.client.pk}/" not in page
    assert active_case.number not in page


def test_an_empty_search_shows_just_the_form(cast, client):
    response = login(client, cast.counselor).get("/search/")
    assert response.status_code == 200
    assert 'name="q"' in response.content.decode()


# --- Japanese words of one and two characters (docs/performance.md, "Search") ----------------


def _case_of(cast, title: str, client_name: str = "", kana: str = "", summary: str = ""):
    client = ClientFactory(
        **({"name": client_name, "name_search": search_key(client_name)} if client_name else {}),
        **({"name_kana": kana, "name_kana_search": search_key(kana)} if kana else {}),
    )
    case = CaseFactory(client=client, title=title, status="active", lead_counselor=cast.counselor)
    if summary:
        SessionFactory(case=case, summary=summary)
    return case


def _found(web, text: str) -> str:
    return web.get("/search/", {"q": text}).content.decode()


def test_two_kanji_find_case_titles_client_names_and_session_summaries(cast, client):
    patent = _case_of(cast, "特許出願の相談")
    nakajima = _case_of(cast, "資金繰りの相談", client_name="株式会社中島製作所")
    closing = _case_of(cast, "経営の相談", summary="後継者がおらず廃業も考えている。")
    other = _case_of(cast, "販路開拓の支援")
    web = login(client, cast.counselor)
    assert f"/cases/{patent.pk}/" in _found(web, "特許")
    page = _found(web, "中島")
    assert f"/cases/{nakajima.pk}/" in page and f"/clients/{nakajima.client.pk}/" in page
    assert f"/cases/{closing.pk}/" in _found(web, "廃業")
    assert f"/cases/{other.pk}/" not in _found(web, "特許") + _found(web, "中島")


def test_one_character_finds_what_holds_it(cast, client):
    nakajima = _case_of(cast, "資金繰りの相談", client_name="中島商店")
    page = _found(login(client, cast.counselor), "島")
    assert f"/cases/{nakajima.pk}/" in page


def test_hiragana_finds_katakana_readings_and_titles(cast, client):
    nakajima = _case_of(
        cast, "ホームページの相談", client_name="中島商店", kana="ナカジマショウテン"
    )
    web = login(client, cast.counselor)
    assert f"/clients/{nakajima.client.pk}/" in _found(web, "なかじま")
    assert f"/cases/{nakajima.pk}/" in _found(web, "ほーむぺーじ")


def test_a_longer_word_must_appear_whole(cast, client):
    scattered = _case_of(cast, "許庁と特許")  # both pairs of 特許庁, never the word
    whole = _case_of(cast, "特許庁への出願")
    page = _found(login(client, cast.counselor), "特許庁")
    assert f"/cases/{whole.pk}/" in page
    assert f"/cases/{scattered.pk}/" not in page


def test_search_results_are_paged_newest_first(cast, client):
    now = timezone.now()
    cases = [_case_of(cast, f"特許の相談{n}") for n in range(53)]
    for n, case in enumerate(cases):
        Case.objects.filter(pk=case.pk).update(opened_at=now - dt.timedelta(days=n))
    web = login(client, cast.counselor)
    first = _found(web, "特許")
    assert f"/cases/{cases[0].pk}/" in first and f"/cases/{cases[50].pk}/" not in first
    assert "case_page=2" in first
    second = web.get("/search/", {"q": "特許", "case_page": 2}).content.decode()
    assert [f"/cases/{case.pk}/" in second for case in cases[49:]] == [False, True, True, True]


def test_the_web_search_and_the_api_find_the_same_cases(cast, client):
    found = [_case_of(cast, "資金繰りの相談", client_name=f"中島{n}") for n in range(3)]
    found.append(_case_of(cast, "経営の相談", summary="中島さんと面談した。"))
    _case_of(cast, "特許の相談")
    api = APIClient()
    api.force_authenticate(cast.counselor)
    ids = {row["id"] for row in api.get("/api/v1/cases/", {"q": "中島"}).json()["results"]}
    assert ids == {case.pk for case in found}
    page = _found(login(client, cast.counselor), "中島")
    assert all(f"/cases/{case.pk}/" in page for case in found)


def test_the_sessions_api_finds_summaries_in_either_kana(cast):
    case = _case_of(cast, "経営の相談", summary="キャッシュフローの改善策を説明した。")
    api = APIClient()
    api.force_authenticate(cast.counselor)
    rows = api.get("/api/v1/sessions/", {"q": "きゃっしゅ"}).json()["results"]
    assert [row["case"] for row in rows] == [case.pk]


def test_the_search_stays_within_its_query_budget(cast, client, django_assert_max_num_queries):
    for n in range(12):
        _case_of(cast, f"特許の相談{n}", client_name=f"中島{n}")
    web = login(client, cast.counselor)
    web.get("/search/")
    with django_assert_max_num_queries(8):
        assert web.get("/search/", {"q": "中島"}).status_code == 200


# The results' rows as the page's loops drew them before each row was drawn from text kept
# once per shape (`intake.views.search.search_rows`).
FORMER_CLIENT_ROWS = (
    '{% for client in clients %}<li><a href="{{ client.detail_url }}">{{ client.name }}</a> '
    '<small>{{ client.name_kana }}</small> <span class="meta">{% if client.corporate_number %}'
    "{{ client.corporate_number }} · {% endif %}{{ client.municipality }}</span></li>{% endfor %}"
)
FORMER_CASE_ROWS = (
    '{% for case in cases %}<li><a href="{{ case.detail_url }}">{{ case.number }}</a> '
    '{{ case.title }} <span class="meta">{% if case.client_id %}{{ case.client__name }} · '
    "{% endif %}{{ case.status_label }} · {{ case.opened_label }}</span></li>{% endfor %}"
)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_results_rows_are_the_ones_the_pages_loops_drew_for_every_shape(cast, client, language):
    named = ClientFactory(name='中島 <製作所> & "株式会社"', corporate_number="1234567890123")
    ClientFactory(name="中島商店", corporate_number="", municipality="<市>")
    CaseFactory(client=named, title="中島の<b>相談</b> & 'その1'", lead_counselor=cast.counselor)
    CaseFactory(client=None, title="中島 匿名の相談", lead_counselor=cast.counselor)
    web = login(client, cast.coordinator)
    if language == "en":
        in_english(web)
    response = web.get("/search/", {"q": "中島"})
    page = response.content.decode()
    clients, cases = response.context["clients"], response.context["cases"]
    assert len(clients) == 2 and len(cases) == 2
    with translation.override(language):
        engine = engines["django"]
        for former, rows in ((FORMER_CLIENT_ROWS, clients), (FORMER_CASE_ROWS, cases)):
            drawn = engine.from_string(former).render({"clients": clients, "cases": cases})
            assert drawn in page
            assert "".join(row["row_html"] for row in rows) == drawn
