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


def test_a_town_in_a_district_is_named_without_the_district_and_matches_either_way():
    place = postal_code_place("319-3526")
    assert place.municipality == "大子町"
    assert place.agrees_with(prefecture="茨城県", municipality="大子町")
    assert place.agrees_with(prefecture="茨城県", municipality="久慈郡大子町")


def test_a_ward_of_a_designated_city_matches_the_ward_and_the_city():
    place = postal_code_place("060-0000")
    assert place.municipality == "札幌市中央区"
    assert place.agrees_with(prefecture="北海道", municipality="札幌市")
    assert not place.agrees_with(prefecture="北海道", municipality="函館市")


def test_a_code_shared_by_several_municipalities_names_none_and_accepts_each():
    place = postal_code_place("035-0000")
    assert (place.prefecture, place.municipality) == ("青森県", "")
    assert place.agrees_with(prefecture="青森県", municipality="むつ市")
    assert place.agrees_with(prefecture="", municipality="東通村")
    assert not place.agrees_with(prefecture="青森県", municipality="青森市")


def test_a_code_shared_by_two_prefectures_names_neither():
    place = postal_code_place("498-0000")
    assert (place.prefecture, place.municipality) == ("", "")
    assert place.agrees_with(prefecture="三重県", municipality="木曽岬町")
    assert place.agrees_with(prefecture="愛知県", municipality="弥富市")
    assert not place.agrees_with(prefecture="愛知県", municipality="木曽岬町")


def test_a_business_postal_code_gives_its_place_too():
    place = postal_code_place("100-8994")
    assert (place.prefecture, place.municipality) == ("東京都", "千代田区")


def test_a_blank_typed_place_agrees_with_any_code():
    assert postal_code_place("310-0801").agrees_with(prefecture="", municipality="")


def test_a_prefecture_other_than_the_codes_disagrees():
    assert not postal_code_place("310-0801").agrees_with(prefecture="栃木県", municipality="")


@pytest.mark.parametrize("raw", ["999-9999", "000-0000", "31-0801", ""])
def test_an_unknown_or_malformed_postal_code_has_no_place(raw):
    assert postal_code_place(raw) is None
