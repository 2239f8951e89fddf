"""Properties of the Japanese normalisers and validators, the SME size class and the fiscal
calendar, over generated input (hypothesis): emoji, NUL, right-to-left marks, other
scripts' digits, long strings (docs/rules.md, "Japanese conventions")."""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import example, given
from hypothesis import strategies as st

from casebook.common.fiscal import (
    ERAS,
    fiscal_year_bounds,
    fiscal_year_label,
    fiscal_year_of,
    wareki_date,
    wareki_fiscal_year,
)
from casebook.common.japanese import (
    corporate_number_check_digit,
    corporate_number_problem,
    format_postal_code,
    normalize_text,
    phone_digits,
    search_key,
    to_katakana,
)
from casebook.common.sme import THRESHOLDS, SizeClass, SizeSector, size_class

ASCII_DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=20)
# Every kind of character a form may receive, long strings included.
HOSTILE = st.text(max_size=300) | st.sampled_from(
    ["\x00", "\u200f株式会社\u200e", "😀" * 50, "ｱｲｳ" * 3400, "٣١٠٠٨٠١", "３１０ー０８０１"]
)
HIRAGANA = st.text(alphabet=[chr(c) for c in range(0x3041, 0x3097)], max_size=30)
FULL_WIDTH = {
    ord(c): ord(c) + 0xFEE0
    for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
}


# --- text ----------------------------------------------------------------------------------


@given(HOSTILE)
def test_normalising_twice_changes_nothing_more(value):
    once = normalize_text(value)
    assert normalize_text(once) == once
    assert once == once.strip()


@given(HIRAGANA)
def test_a_name_in_hiragana_and_in_katakana_has_one_search_key(value):
    assert search_key(value) == search_key(to_katakana(value))


@given(
    st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz ", max_size=40)
)
def test_full_width_and_half_width_letters_and_digits_have_one_search_key(value):
    assert search_key(value.translate(FULL_WIDTH)) == search_key(value)
    assert search_key(value.upper()) == search_key(value.lower())


@given(HOSTILE)
def test_a_search_key_has_no_white_space(value):
    assert not re.search(r"\s", search_key(value))


@given(HOSTILE)
def test_phone_digits_are_ascii_digits_only(value):
    assert re.fullmatch(r"[0-9]*", phone_digits(value))


@given(ASCII_DIGITS)
def test_full_width_phone_digits_read_as_the_same_digits(value):
    assert phone_digits(value.translate(FULL_WIDTH)) == value


# --- 法人番号 -------------------------------------------------------------------------------


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_a_base_with_its_check_digit_is_a_valid_corporate_number(base):
    assert corporate_number_problem(f"{corporate_number_check_digit(base)}{base}") is None


@given(
    st.text(alphabet="0123456789", min_size=12, max_size=12),
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=1, max_value=8),
)
def test_a_single_mistyped_digit_is_caught_by_the_check_digit(base, position, shift):
    """Every change of one digit by 1 to 8 is caught (0 for 9 is not: weights 1 and 2, mod 9)."""
    number = f"{corporate_number_check_digit(base)}{base}"
    digit = int(number[position])
    mistyped = number[:position] + str((digit + shift) % 10) + number[position + 1 :]
    if abs((digit + shift) % 10 - digit) == 9:
        return
    assert corporate_number_problem(mistyped) == "check_digit"


@given(HOSTILE)
@example("٣" * 13)  # Arabic-Indic digits are digits to Python, not to the 国税庁
def test_anything_but_thirteen_ascii_digits_is_refused_for_its_length(value):
    if re.fullmatch(r"[0-9]{13}", value):
        return
    assert corporate_number_problem(value) == "length"


# --- postal codes ----------------------------------------------------------------------------


@given(st.text(alphabet="0123456789", min_size=7, max_size=7), st.booleans(), st.booleans())
def test_seven_digits_in_any_width_with_or_without_a_hyphen_make_one_postal_code(
    digits, hyphen, full_width
):
    typed = f"{digits[:3]}-{digits[3:]}" if hyphen else digits
    if full_width:
        typed = typed.translate(FULL_WIDTH).replace("-", "ー")
    assert format_postal_code(typed) == f"{digits[:3]}-{digits[3:]}"


@given(HOSTILE)
@example("٣١٠٠٨٠١")
def test_a_postal_code_is_ascii_nnn_nnnn_or_refused(value):
    formatted = format_postal_code(value)
    if formatted is not None:
        assert re.fullmatch(r"[0-9]{3}-[0-9]{4}", formatted)
        assert format_postal_code(formatted) == formatted


# --- SME size class ---------------------------------------------------------------------------

AMOUNTS = st.none() | st.integers(min_value=0, max_value=10**12)
HEADCOUNTS = st.none() | st.integers(min_value=0, max_value=100_000)


@given(st.sampled_from(list(SizeSector)), AMOUNTS, HEADCOUNTS)
def test_a_company_is_large_only_above_both_limits(sector, capital, employees):
    limits = THRESHOLDS[sector]
    result = size_class(sector, capital, employees)
    if result == SizeClass.LARGE:
        assert capital > limits.capital_yen and employees > limits.employees
    if capital is not None and employees is not None:
        assert result != SizeClass.UNKNOWN
    if employees is not None and employees <= limits.small_employees:
        assert result == SizeClass.SMALL


@given(st.sampled_from(list(SizeSector)), AMOUNTS, st.integers(0, 100_000), st.integers(0, 1000))
def test_more_employees_never_make_a_company_smaller(sector, capital, employees, more):
    order = [SizeClass.SMALL, SizeClass.SME, SizeClass.LARGE]
    before, after = (
        size_class(sector, capital, employees),
        size_class(sector, capital, employees + more),
    )
    if SizeClass.UNKNOWN not in (before, after):
        assert order.index(after) >= order.index(before)


@given(AMOUNTS, HEADCOUNTS)
def test_without_a_sector_nothing_is_guessed(capital, employees):
    assert size_class(None, capital, employees) == SizeClass.UNKNOWN


# --- fiscal years and eras --------------------------------------------------------------------

DAYS = st.dates(min_value=ERAS[-1].starts_on, max_value=dt.date(2200, 12, 31))


@given(DAYS)
def test_a_day_lies_within_the_bounds_of_its_fiscal_year(day):
    first, last = fiscal_year_bounds(fiscal_year_of(day))
    assert first <= day <= last
    assert first.month == 4 and first.day == 1 and (last - first).days in (364, 365)


@given(DAYS)
def test_an_era_date_names_the_same_day(day):
    label = wareki_date(day)
    era = next(era for era in ERAS if label.startswith(era.name))
    assert day >= era.starts_on
    number = label[len(era.name) : label.index("年")]
    year = 1 if number == "元" else int(number)
    assert era.starts_on.year + year - 1 == day.year
    assert label.endswith(f"{day.month}月{day.day}日")


@given(st.integers(min_value=1927, max_value=2199))
def test_a_fiscal_year_takes_the_era_in_force_when_it_ends(fiscal_year):
    _first, last = fiscal_year_bounds(fiscal_year)
    assert wareki_fiscal_year(fiscal_year).startswith(wareki_date(last)[:2])
    assert fiscal_year_label(fiscal_year).startswith(f"{fiscal_year}年度（")
