from __future__ import annotations

import pytest

from casebook.accounts.models import DeskRole
from casebook.intake import services
from casebook.intake.models import Case, Client
from tests.factories import desk, member
from tests.web.conftest import login


def _intake(**changes) -> dict:
    data = {
        "form_token": "token-1",
        "kind": "company",
        "name": "株式会社ひたち精機",
        "name_kana": "ひたちせいき",
        "phone": "029-123-4567",
        "desk": desk("yorozu").pk,
        "title": "資金繰りの相談",
        "topics": ["finance"],
        "intake_channel": "walk_in",
        "priority": "normal",
    }
    data.update(changes)
    return data


@pytest.fixture
def hitachi(cast) -> Client:
    return services.client_create(
        by=cast.counselor,
        kind="company",
        name="株式会社ひたち精機",
        name_kana="ヒタチセイキ",
        phone="029-123-4567",
    )


def test_the_client_search_finds_katakana_from_hiragana(cast, client, hitachi):
    page = login(client, cast.counselor).get("/intake/", {"q": "ひたち"}).content.decode()
    results = page[page.index('id="client-results"') :]
    assert f"/intake/?client={hitachi.pk}" in results


def test_the_search_answers_htmx_with_the_results_only(cast, client, hitachi):
    response = login(client, cast.counselor).get(
        "/intake/", {"q": "セイキ"}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert "株式会社ひたち精機" in page and "<html" not in page


def test_a_new_client_and_its_case_are_opened_in_one_step(cast, client):
    response = login(client, cast.counselor).post("/intake/", _intake())
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pk}/"
    assert case.client.name == "株式会社ひたち精機"
    assert case.status == "intake" and case.created_by == cast.counselor


def test_taking_the_case_myself_makes_me_the_lead(cast, client):
    login(client, cast.counselor).post("/intake/", _intake(take_myself="on"))
    case = Case.objects.get()
    assert case.lead_counselor == cast.counselor and case.status == "assigned"


def test_an_existing_client_is_chosen_instead_of_registered(cast, client, hitachi):
    page = login(client, cast.counselor).get(f"/intake/?client={hitachi.pk}").content.decode()
    assert f'name="client" value="{hitachi.pk}"' in page
    response = client.post("/intake/", _intake(client=hitachi.pk, name="", phone=""))
    assert response.status_code == 302
    assert Client.objects.count() == 1
    assert Case.objects.get().client == hitachi


def test_the_same_name_and_phone_warns_of_a_duplicate_and_saves_nothing(cast, client, hitachi):
    response = login(client, cast.counselor).post(
        "/intake/", _intake(name="株式会社　ひたち精機", phone="０２９－１２３－４５６７")
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert f"/intake/?client={hitachi.pk}" in page
    assert 'name="allow_duplicate"' in page
    assert 'value="資金繰りの相談"' in page
    assert Client.objects.count() == 1 and not Case.objects.exists()


def test_registering_anyway_after_the_warning_creates_the_second_client(cast, client, hitachi):
    response = login(client, cast.counselor).post("/intake/", _intake(allow_duplicate="on"))
    assert response.status_code == 302
    assert Client.objects.count() == 2


def test_the_duplicate_check_answers_while_typing(cast, client, hitachi):
    response = login(client, cast.counselor).get(
        "/intake/duplicates/", {"name": "株式会社ひたち精機", "phone": "0291234567"}
    )
    assert f"/intake/?client={hitachi.pk}" in response.content.decode()
    response = client.get("/intake/duplicates/", {"name": "別の会社", "phone": "0291234567"})
    assert "/intake/?client=" not in response.content.decode()


def test_a_wrong_corporate_number_is_an_error_at_its_field_and_the_input_stays(cast, client):
    response = login(client, cast.counselor).post(
        "/intake/", _intake(corporate_number="1000012050002")
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_corporate_number_error"' in page
    assert 'value="1000012050002"' in page and 'value="株式会社ひたち精機"' in page
    assert not Client.objects.exists() and not Case.objects.exists()


def test_a_corporate_number_already_registered_is_refused_at_the_field(cast, client):
    services.client_create(
        by=cast.counselor, kind="company", name="水戸製作所", corporate_number="7000012050002"
    )
    response = login(client, cast.counselor).post(
        "/intake/", _intake(corporate_number="7000012050002")
    )
    assert response.status_code == 400
    assert 'id="id_corporate_number_error"' in response.content.decode()
    assert Client.objects.count() == 1


def test_a_missing_title_saves_neither_the_client_nor_the_case(cast, client):
    response = login(client, cast.counselor).post("/intake/", _intake(title=""))
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_title_error"' in page
    assert 'value="株式会社ひたち精機"' in page
    assert not Client.objects.exists()


def test_a_client_is_required_outside_the_subcontracting_desk(cast, client):
    response = login(client, cast.counselor).post("/intake/", _intake(name="", phone=""))
    assert response.status_code == 400
    assert 'id="id_name_error"' in response.content.decode()
    assert not Case.objects.exists()


def test_sending_the_same_intake_twice_opens_one_case(cast, client):
    login(client, cast.counselor)
    first = client.post("/intake/", _intake())
    second = client.post("/intake/", _intake())
    assert Case.objects.count() == 1 and Client.objects.count() == 1
    assert second.status_code == 302 and second["Location"] == first["Location"]


def test_the_intake_form_carries_a_one_time_token(cast, client):
    page = login(client, cast.counselor).get("/intake/").content.decode()
    assert 'name="form_token" value="' in page
    assert "data-once" in page


def test_only_desks_the_user_may_take_intakes_at_are_offered(cast, client):
    page = login(client, cast.colleague).get("/intake/").content.decode()
    assert f'<option value="{desk("ip").pk}"' in page
    assert f'<option value="{desk("yorozu").pk}"' not in page


@pytest.mark.parametrize("who", ["auditor", "outsider"])
def test_users_who_take_no_intakes_get_403(cast, client, who):
    response = login(client, getattr(cast, who)).get("/intake/")
    assert response.status_code == 403


def test_the_dispute_desk_takes_an_anonymous_intake(cast, client):
    dispute = member("subcontract", DeskRole.COUNSELOR, username="dispute")
    response = login(client, dispute).post(
        "/intake/",
        _intake(name="", name_kana="", phone="", desk=desk("subcontract").pk, title="代金減額"),
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.client is None and case.subcontract.anonymous
    assert not Client.objects.exists()
