"""The postal code lookup of the intake and client forms: the code's place fills the form."""

from __future__ import annotations

import pytest

from casebook.intake import services
from casebook.intake.models import Client
from tests.factories import UserFactory
from tests.web.conftest import in_english, login
from tests.web.test_intake import _intake


def _lookup(client, user, code: str) -> str:
    response = in_english(login(client, user)).get(
        "/clients/postal-code/", {"postal_code": code}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    return response.content.decode()


def test_a_known_postal_code_answers_its_place_and_replaces_the_two_fields(cast, client):
    html = _lookup(client, cast.counselor, "３１７００７３")
    assert "〒317-0073 茨城県日立市" in html
    assert 'id="id_prefecture"' in html and 'value="茨城県"' in html
    assert 'id="id_municipality"' in html and 'value="日立市"' in html
    assert html.count('hx-swap-oob="true"') == 2


def test_a_code_shared_by_several_municipalities_leaves_the_municipality_as_typed(cast, client):
    html = _lookup(client, cast.counselor, "035-0000")
    assert 'value="青森県"' in html
    assert 'id="id_municipality"' not in html


@pytest.mark.parametrize(
    ("code", "said"),
    [
        ("999-9999", "no place has the postal code 999-9999"),
        ("310-08", "the prefecture and municipality follow from it"),  # still being typed
    ],
)
def test_a_code_without_a_place_is_said_under_the_field_and_replaces_nothing(
    cast, client, code, said
):
    html = _lookup(client, cast.counselor, code)
    assert said in html
    assert "hx-swap-oob" not in html


def test_the_lookup_needs_a_login_and_nothing_more(db, client):
    assert client.get("/clients/postal-code/?postal_code=310-0801").status_code == 302
    response = login(client, UserFactory(username="no_desk")).get(
        "/clients/postal-code/", {"postal_code": "310-0801"}
    )
    assert response.status_code == 200


def test_the_intake_and_client_edit_forms_ask_for_the_place_of_a_typed_code(cast, client):
    web = login(client, cast.counselor)
    mito = services.client_create(by=cast.counselor, kind="company", name="株式会社水戸")
    for url in ("/intake/", f"/clients/{mito.pk}/edit/"):
        html = web.get(url).content.decode()
        assert 'hx-get="/clients/postal-code/"' in html, url


def test_the_client_edit_form_names_the_postal_code_when_the_place_disagrees(cast, client):
    mito = services.client_create(
        by=cast.counselor, kind="company", name="株式会社水戸", postal_code="310-0801"
    )
    response = in_english(login(client, cast.counselor)).post(
        f"/clients/{mito.pk}/edit/",
        {
            "version": mito.version,
            "kind": "company",
            "name": mito.name,
            "postal_code": "317-0073",
            "prefecture": "茨城県",
            "municipality": "水戸市",
            "form_token": "t1",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_postal_code_error"' in html
    assert "the postal code 317-0073 is in 茨城県日立市, not in 茨城県水戸市" in html
    assert 'value="317-0073"' in html  # what was typed stays
    mito.refresh_from_db()
    assert mito.postal_code == "310-0801"


def test_an_intake_with_a_postal_code_alone_files_the_client_with_its_place(cast, client):
    response = login(client, cast.counselor).post("/intake/", _intake(postal_code="305-0047"))
    assert response.status_code == 302
    filed = Client.objects.get(name="株式会社ひたち精機")
    assert (filed.prefecture, filed.municipality) == ("茨城県", "つくば市")
