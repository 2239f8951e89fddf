from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from casebook.common.errors import ActionNotPermitted, StaleVersion
from casebook.intake import services
from casebook.intake.models import Client
from casebook.intake.services.clients import PossibleDuplicateClient


def create(by, **fields):
    fields.setdefault("kind", "company")
    fields.setdefault("name", "株式会社水戸製作所")
    return services.client_create(by=by, **fields)


def test_input_is_nfkc_normalised_and_search_keys_are_derived(cast):
    client = create(
        cast.counselor,
        name="株式会社　ＭＩＴＯ",
        name_kana="かぶしきがいしゃ みと",
        phone="０２９－２２４－８０３０",
        postal_code="３１００８０１",
    )
    assert client.name == "株式会社 MITO"
    assert client.phone == "029-224-8030"
    assert client.postal_code == "310-0801"
    assert client.name_kana_search == "カブシキガイシャミト"
    assert client.phone_digits == "0292248030"


def test_full_width_corporate_number_is_accepted(cast):
    assert create(cast.counselor, corporate_number="７０００　０１２０５０００２".replace("　", ""))


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("corporate_number", "7000012050003", "check_digit"),
        ("corporate_number", "700001205000", "length"),
        ("capital_yen", -1, "min_value"),
        ("employees", -3, "min_value"),
        ("postal_code", "31-0801", "format"),
        ("email", "not-an-email", "invalid"),
    ],
)
def test_bad_input_is_a_field_error_and_nothing_is_saved(cast, field, value, code):
    with pytest.raises(ValidationError) as refused:
        create(cast.counselor, **{field: value})
    assert field in refused.value.error_dict
    assert refused.value.error_dict[field][0].code == code
    assert not Client.objects.exists()


def test_size_class_is_derived_from_industry_capital_and_headcount(cast):
    assert create(
        cast.counselor, industry="E", capital_yen=10_000_000, employees=15
    ).size_class == ("small")
    assert (
        create(
            cast.counselor, name="B", industry="I2", capital_yen=60_000_000, employees=51
        ).size_class
        == "large"
    )
    assert create(cast.counselor, name="C", industry="", employees=3).size_class == "unknown"


def test_a_corporate_number_belongs_to_one_client(cast):
    create(cast.counselor, corporate_number="7000012050002")
    with pytest.raises(ValidationError) as refused:
        create(cast.counselor, name="別会社", corporate_number="7000012050002")
    assert refused.value.error_dict["corporate_number"][0].code == "unique"
    assert Client.objects.count() == 1


def test_same_name_and_phone_is_flagged_as_a_possible_duplicate(cast):
    first = create(cast.counselor, phone="029-224-8030")
    with pytest.raises(PossibleDuplicateClient) as flagged:
        create(cast.counselor, name="株式会社水戸製作所 ", phone="0292248030")
    assert flagged.value.candidates == [first]
    second = create(cast.counselor, phone="0292248030", allow_duplicate=True)
    assert second.pk != first.pk


def test_an_auditor_may_not_register_clients(cast):
    with pytest.raises(ActionNotPermitted):
        create(cast.auditor)


def test_an_edit_against_an_old_version_is_refused(cast):
    client = create(cast.counselor)
    services.client_update(client=client, by=cast.counselor, expected_version=1, employees=12)
    with pytest.raises(StaleVersion):
        services.client_update(client=client, by=cast.colleague, expected_version=1, employees=99)
    client.refresh_from_db()
    assert (client.employees, client.version) == (12, 2)


def test_a_postal_code_fills_a_blank_prefecture_and_municipality(cast):
    client = create(cast.counselor, postal_code="３１７００７３")
    assert (client.postal_code, client.prefecture, client.municipality) == (
        "317-0073",
        "茨城県",
        "日立市",
    )


def test_a_typed_place_that_agrees_with_the_postal_code_is_kept(cast):
    client = create(
        cast.counselor, postal_code="319-3526", prefecture="茨城県", municipality="久慈郡大子町"
    )
    assert client.municipality == "久慈郡大子町"


@pytest.mark.parametrize(
    ("prefecture", "municipality"), [("茨城県", "日立市"), ("栃木県", ""), ("", "宇都宮市")]
)
def test_a_place_other_than_the_postal_codes_is_an_error_naming_the_postal_code(
    cast, prefecture, municipality
):
    with pytest.raises(ValidationError) as refused:
        create(
            cast.counselor,
            postal_code="310-0801",
            prefecture=prefecture,
            municipality=municipality,
        )
    [error] = refused.value.error_dict["postal_code"]
    assert error.code == "place_mismatch"
    assert "茨城県水戸市" in error.messages[0]
    assert not Client.objects.exists()


def test_an_unknown_postal_code_is_an_error_naming_the_field(cast):
    with pytest.raises(ValidationError) as refused:
        create(cast.counselor, postal_code="999-9999")
    [error] = refused.value.error_dict["postal_code"]
    assert error.code == "unknown"
    assert not Client.objects.exists()


def test_a_new_postal_code_on_an_edit_is_checked_against_the_place(cast):
    client = create(cast.counselor, postal_code="310-0801")
    with pytest.raises(ValidationError) as refused:
        services.client_update(
            client=client, by=cast.counselor, expected_version=None, postal_code="317-0073"
        )
    assert refused.value.error_dict["postal_code"][0].code == "place_mismatch"
    moved = services.client_update(
        client=client,
        by=cast.counselor,
        expected_version=None,
        postal_code="317-0073",
        prefecture="",
        municipality="",
    )
    moved.refresh_from_db()
    assert (moved.prefecture, moved.municipality) == ("茨城県", "日立市")


def test_an_edit_that_leaves_the_address_alone_keeps_an_address_saved_before_the_check(cast):
    client = create(cast.counselor, postal_code="310-0801")
    Client.objects.filter(pk=client.pk).update(municipality="日立市")  # an older record
    client.refresh_from_db()
    saved = services.client_update(
        client=client, by=cast.counselor, expected_version=None, phone="029-224-8030"
    )
    assert (saved.phone, saved.municipality) == ("029-224-8030", "日立市")
