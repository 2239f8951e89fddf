from __future__ import annotations

import pytest

from casebook.common.japanese import (
    corporate_number_check_digit,
    corporate_number_problem,
    format_postal_code,
    normalize_text,
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
