from __future__ import annotations

import pytest

from casebook.common.japanese import (
    corporate_number_check_digit,
    corporate_number_problem,
    format_postal_code,
    normalize_text,
    postal_code_place,
    search_key,
    to_katakana,
)


def test_a_known_corporate_number_is_valid():
    assert corporate_number_problem("7000012050002") is None


def test_the_check_digit_is_computed_from_the_twelve_digit_base():
    assert corporate_number_check_digit("000012050002") == 7


def test_a_wrong_check_digit_is_named():
    assert corporate_number_problem("8000012050002") == "check_digit"


@pytest.mark.parametrize("value", ["700001205000", "70000120500021", "70000120500a2", ""])
def test_a_wrong_length_or_a_letter_is_a_length_problem(value):
    assert corporate_number_problem(value) == "length"


def test_full_width_digits_become_a_valid_number_after_normalisation():
    assert (
        corporate_number_problem(normalize_text("７０００　０１２０５０００２".replace("　", "")))
        is None
    )


def test_nfkc_turns_full_width_letters_and_digits_half_width_and_strips():
    assert normalize_text("　ＡＢＣ１２３ ") == "ABC123"


def test_hiragana_folds_onto_katakana():
    assert to_katakana("みとせいさくしょ") == "ミトセイサクショ"


def test_search_keys_of_hiragana_and_katakana_readings_are_equal():
    assert search_key("かぶしきがいしゃ みと") == search_key("カブシキガイシャ　ミト")


@pytest.mark.parametrize(
    ("raw", "formatted"),
    [("3100852", "310-0852"), ("310-0852", "310-0852"), ("３１０－０８５２", "310-0852")],
)
def test_postal_codes_are_formatted_nnn_nnnn(raw, formatted):
    assert format_postal_code(raw) == formatted


@pytest.mark.parametrize("raw", ["31-00852", "310085", "abc-defg"])
def test_malformed_postal_codes_are_refused(raw):
    assert format_postal_code(raw) is None


def test_a_postal_code_gives_its_prefecture_and_municipality():
    place = postal_code_place("３１０－０８０１")
    assert (place.prefecture, place.municipality) == ("茨城県", "水戸市")
    assert place.label == "茨城県水戸市"


@pytest.mark.parametrize(
    ("code", "prefecture", "municipality"),
    [
        ("319-3526", "茨城県", "大子町"),  # a town, named without its district
        ("060-0000", "北海道", "札幌市中央区"),  # a designated city's ward
        ("035-0000", "青森県", ""),  # a code of two municipalities names neither
        ("498-0000", "", ""),  # a code of two prefectures names neither
        ("100-8994", "東京都", "千代田区"),  # a business code (事業所個別番号)
    ],
)
def test_the_place_a_code_names_is_what_all_its_towns_share(code, prefecture, municipality):
    place = postal_code_place(code)
    assert (place.prefecture, place.municipality) == (prefecture, municipality)


@pytest.mark.parametrize(
    ("code", "prefecture", "municipality", "agrees"),
    [
        ("319-3526", "茨城県", "大子町", True),
        ("319-3526", "茨城県", "久慈郡大子町", True),  # the district written out
        ("060-0000", "北海道", "札幌市", True),  # the city of the ward
        ("060-0000", "北海道", "函館市", False),
        ("035-0000", "青森県", "むつ市", True),  # each municipality of a shared code
        ("035-0000", "", "東通村", True),
        ("035-0000", "青森県", "青森市", False),
        ("498-0000", "三重県", "木曽岬町", True),
        ("498-0000", "愛知県", "弥富市", True),
        ("498-0000", "愛知県", "木曽岬町", False),  # the town is in the other prefecture
        ("310-0801", "", "", True),  # nothing typed
        ("310-0801", "栃木県", "", False),
    ],
)
def test_a_typed_place_agrees_with_a_code_only_where_the_code_lies(
    code, prefecture, municipality, agrees
):
    place = postal_code_place(code)
    assert place.agrees_with(prefecture=prefecture, municipality=municipality) is agrees


@pytest.mark.parametrize("raw", ["999-9999", "000-0000", "31-0801", ""])
def test_an_unknown_or_malformed_postal_code_has_no_place(raw):
    assert postal_code_place(raw) is None
