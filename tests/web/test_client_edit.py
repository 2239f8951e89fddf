"""The client's edit form, the merge of two clients and the client's contacts on the web."""

from __future__ import annotations

from casebook.intake import services
from casebook.intake.models import Case, Client, ClientContact
from tests.factories import CaseFactory, ClientFactory, SessionFactory, case_in_state, desk
from tests.web.conftest import in_english, login


def _client(cast, **fields) -> Client:
    fields.setdefault("kind", "company")
    fields.setdefault("name", "株式会社水戸製作所")
    return services.client_create(by=cast.counselor, **fields)


def _post(client: Client, **changes) -> dict:
    data = {
        "version": client.version,
        "kind": client.kind,
        "name": client.name,
        "name_kana": client.name_kana,
        "corporate_number": client.corporate_number,
        "representative": client.representative,
        "industry": client.industry,
        "postal_code": client.postal_code,
        "prefecture": client.prefecture,
        "municipality": client.municipality,
        "address": client.address,
        "phone": client.phone,
        "email": client.email,
        "form_token": "t1",
    }
    data.update(changes)
    return data


def test_a_counselor_corrects_the_address_and_the_representative(cast, client):
    mito = _client(cast, phone="029-224-8030")
    response = login(client, cast.counselor).post(
        f"/clients/{mito.pk}/edit/",
        _post(mito, representative="水戸 花子", postal_code="３１００８０１", address="中央1-1"),
    )
    assert response.status_code == 302
    mito.refresh_from_db()
    assert (mito.representative, mito.postal_code, mito.address) == (
        "水戸 花子",
        "310-0801",
        "中央1-1",
    )
    assert mito.history.first().history_user == cast.counselor


def test_the_size_class_is_recomputed_from_the_edited_figures(cast, client):
    mito = _client(cast, industry="E", capital_yen=10_000_000, employees=15)
    assert mito.size_class == "small"
    login(client, cast.counselor).post(
        f"/clients/{mito.pk}/edit/", _post(mito, capital_yen=500_000_000, employees=900)
    )
    mito.refresh_from_db()
    assert mito.size_class == "large"


def test_a_wrong_corporate_number_is_named_at_its_field_and_what_was_typed_stays(cast, client):
    mito = _client(cast)
    response = in_english(login(client, cast.counselor)).post(
        f"/clients/{mito.pk}/edit/",
        _post(mito, corporate_number="7000012050003", representative="新しい代表者"),
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "check digit" in page
    assert 'value="新しい代表者"' in page
    mito.refresh_from_db()
    assert mito.representative == ""


def test_a_stale_client_edit_shows_both_versions_and_saves_nothing(cast, client):
    mito = _client(cast)
    seen = mito.version
    services.client_update(
        client=mito, by=cast.coordinator, expected_version=seen, representative="統括が直した人"
    )
    response = in_english(login(client, cast.counselor)).post(
        f"/clients/{mito.pk}/edit/", _post(mito, version=seen, representative="私が直した人")
    )
    page = response.content.decode()
    assert response.status_code == 409
    merge = page[page.index('class="table merge"') :]
    assert '<td class="theirs">統括が直した人</td>' in merge
    assert '<td class="yours">私が直した人</td>' in merge
    assert f'name="version" value="{seen + 1}"' in page
    mito.refresh_from_db()
    assert mito.representative == "統括が直した人"


def test_an_edit_that_makes_two_clients_look_the_same_warns_until_confirmed(cast, client):
    _client(cast, name="株式会社ひたち", phone="029-111-2222")
    mito = _client(cast, phone="029-111-2222")
    web = in_english(login(client, cast.counselor))
    warned = web.post(f"/clients/{mito.pk}/edit/", _post(mito, name="株式会社ひたち"))
    assert warned.status_code == 409
    assert "looks like another one" in warned.content.decode()
    mito.refresh_from_db()
    assert mito.name == "株式会社水戸製作所"
    saved = web.post(
        f"/clients/{mito.pk}/edit/",
        _post(mito, name="株式会社ひたち", allow_duplicate="on", form_token="t2"),
    )
    assert saved.status_code == 302


def test_the_edit_form_sent_twice_saves_once(cast, client):
    mito = _client(cast)
    web = login(client, cast.counselor)
    first = web.post(f"/clients/{mito.pk}/edit/", _post(mito, representative="一回目"))
    second = web.post(f"/clients/{mito.pk}/edit/", _post(mito, representative="一回目"))
    assert first.status_code == second.status_code == 302
    mito.refresh_from_db()
    assert mito.version == 2


def test_a_login_without_a_desk_role_cannot_edit_a_client(cast, client):
    mito = _client(cast)
    assert login(client, cast.outsider).get(f"/clients/{mito.pk}/edit/").status_code == 404
    assert login(client, cast.auditor).get(f"/clients/{mito.pk}/edit/").status_code == 403


# --- merge ------------------------------------------------------------------------------------


def _two_clients_with_cases(cast):
    survivor = _client(cast, name="株式会社水戸製作所")
    duplicate = _client(cast, name="㈱水戸製作所", representative="水戸 太郎", phone="029-1")
    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator, client=duplicate)
    SessionFactory(case=case)
    services.contact_create(client=duplicate, by=cast.counselor, name="経理 一郎", is_primary=True)
    return survivor, duplicate, case


def test_the_merge_preview_shows_what_moves(cast, client):
    survivor, duplicate, _case = _two_clients_with_cases(cast)
    page = (
        in_english(login(client, cast.coordinator))
        .get(f"/clients/{survivor.pk}/merge/?other={duplicate.pk}")
        .content.decode()
    )
    preview = page[page.index('class="table merge-preview"') :]
    assert "cases that move" in preview
    assert preview.count('<td class="num">1</td>') == 2  # one case
    assert "representative" in preview  # filled from the merged client
    assert f'name="other_version" value="{duplicate.version}"' in page


def test_a_merge_keeps_every_case_session_and_history_row(cast, client):
    survivor, duplicate, case = _two_clients_with_cases(cast)
    sessions = case.sessions.count()
    case_history = case.history.count()
    response = login(client, cast.coordinator).post(
        f"/clients/{survivor.pk}/merge/",
        {
            "other": duplicate.pk,
            "survivor_version": survivor.version,
            "other_version": duplicate.version,
            "reason": "二重登録",
            "form_token": "m1",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.client_id == survivor.pk
    assert case.sessions.count() == sessions
    assert case.history.count() == case_history + 1
    assert "二重登録" in case.history.first().history_change_reason
    assert not Client.objects.filter(pk=duplicate.pk).exists()
    assert Client.history.filter(id=duplicate.pk, history_type="-").exists()
    survivor.refresh_from_db()
    assert survivor.representative == "水戸 太郎"
    assert ClientContact.objects.get(name="経理 一郎").client_id == survivor.pk


def test_a_merge_is_refused_across_a_client_with_a_case_the_user_may_not_see(cast, client):
    survivor, duplicate, _case = _two_clients_with_cases(cast)
    CaseFactory(desk=desk("ip"), client=duplicate, confidentiality="confidential", fiscal_year=2019)
    web = in_english(login(client, cast.coordinator))
    page = web.get(f"/clients/{survivor.pk}/merge/?other={duplicate.pk}").content.decode()
    assert "you may not see" in page
    assert 'name="other_version"' not in page
    response = web.post(
        f"/clients/{survivor.pk}/merge/",
        {
            "other": duplicate.pk,
            "survivor_version": survivor.version,
            "other_version": duplicate.version,
            "form_token": "m2",
        },
    )
    assert response.status_code == 403
    assert Case.objects.filter(client=duplicate).count() == 2


def test_a_counselor_is_not_offered_the_merge_and_is_refused_it(cast, client):
    survivor, duplicate, _case = _two_clients_with_cases(cast)
    web = login(client, cast.counselor)
    assert (
        f"/clients/{survivor.pk}/merge/" not in web.get(f"/clients/{survivor.pk}/").content.decode()
    )
    assert web.get(f"/clients/{survivor.pk}/merge/?other={duplicate.pk}").status_code == 403


def test_a_merge_over_a_newer_version_saves_nothing(cast, client):
    survivor, duplicate, case = _two_clients_with_cases(cast)
    seen = duplicate.version
    services.client_update(
        client=duplicate, by=cast.counselor, expected_version=seen, email="a@b.jp"
    )
    response = login(client, cast.coordinator).post(
        f"/clients/{survivor.pk}/merge/",
        {
            "other": duplicate.pk,
            "survivor_version": survivor.version,
            "other_version": seen,
            "form_token": "m3",
        },
    )
    assert response.status_code == 409
    case.refresh_from_db()
    assert case.client_id == duplicate.pk


# --- contacts ---------------------------------------------------------------------------------


def test_a_contact_is_added_on_the_client_page_and_becomes_the_primary(cast, client):
    mito = _client(cast)
    first = services.contact_create(
        client=mito, by=cast.counselor, name="総務 花子", is_primary=True
    )
    web = login(client, cast.counselor)
    response = web.post(
        f"/clients/{mito.pk}/contacts/new/",
        {
            "name": "経理 一郎",
            "title": "経理部長",
            "phone": "029-000-0000",
            "is_primary": "on",
            "form_token": "c1",
        },
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert not first.is_primary
    assert ClientContact.objects.get(client=mito, is_primary=True).name == "経理 一郎"
    page = web.get(f"/clients/{mito.pk}/").content.decode()
    assert "経理部長" in page and "総務 花子" in page


def test_a_contact_without_a_name_is_refused_at_the_field(cast, client):
    mito = _client(cast)
    response = in_english(login(client, cast.counselor)).post(
        f"/clients/{mito.pk}/contacts/new/", {"title": "部長", "form_token": "c2"}
    )
    assert response.status_code == 400
    assert "a contact needs a name" in response.content.decode()
    assert not ClientContact.objects.exists()


def test_a_stale_contact_edit_is_refused(cast, client):
    mito = _client(cast)
    contact = services.contact_create(client=mito, by=cast.counselor, name="総務 花子")
    services.contact_update(contact=contact, by=cast.counselor, expected_version=1, title="課長")
    response = login(client, cast.counselor).post(
        f"/clients/{mito.pk}/contacts/{contact.pk}/edit/",
        {"version": 1, "name": "総務 花子", "title": "部長", "form_token": "c3"},
    )
    assert response.status_code == 409
    contact.refresh_from_db()
    assert contact.title == "課長"


def test_a_contact_of_another_client_answers_404(cast, client):
    mito = _client(cast)
    other = ClientFactory()
    contact = services.contact_create(client=other, by=cast.counselor, name="他社 太郎")
    web = login(client, cast.counselor)
    assert web.get(f"/clients/{mito.pk}/contacts/{contact.pk}/edit/").status_code == 404


def test_a_merge_page_names_the_postal_code_that_disagrees_with_the_town(cast, client):
    survivor = ClientFactory(postal_code="", prefecture="茨城県", municipality="水戸市")
    duplicate = ClientFactory(postal_code="317-0073", prefecture="", municipality="")
    response = in_english(login(client, cast.coordinator)).post(
        f"/clients/{survivor.pk}/merge/",
        {
            "other": duplicate.pk,
            "survivor_version": survivor.version,
            "other_version": duplicate.version,
            "form_token": "m3",
        },
    )
    assert response.status_code == 400
    assert "the postal code 317-0073 is in 茨城県日立市" in response.content.decode()
    assert Client.objects.filter(pk=duplicate.pk).exists()
