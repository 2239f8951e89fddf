from __future__ import annotations

from tests.web.conftest import login


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
