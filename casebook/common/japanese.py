"""Japanese data conventions: NFKC input, kana folding, 法人番号, postal codes.

The rules: docs/rules.md, "Japanese conventions"."""

from __future__ import annotations

import re
import unicodedata

_HIRAGANA_START, _HIRAGANA_END = 0x3041, 0x3096
_KATAKANA_OFFSET = 0x60
_POSTAL_CODE = re.compile(r"^(\d{3})-?(\d{4})$")
_CORPORATE_NUMBER = re.compile(r"^\d{13}$")


def normalize_text(value: str | None) -> str:
    """NFKC-normalise and strip: full-width digits and letters become half-width."""
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()


def to_katakana(value: str) -> str:
    """Fold hiragana onto katakana so that a search in either script finds both."""
    return "".join(
        chr(ord(ch) + _KATAKANA_OFFSET) if _HIRAGANA_START <= ord(ch) <= _HIRAGANA_END else ch
        for ch in value
    )


def search_key(value: str | None) -> str:
    """The form stored for matching: NFKC, katakana for kana, lower case, no spaces."""
    folded = to_katakana(normalize_text(value)).lower()
    return re.sub(r"\s+", "", folded)


def phone_digits(value: str | None) -> str:
    return re.sub(r"\D", "", normalize_text(value))


def corporate_number_check_digit(base12: str) -> int:
    """Check digit of a 法人番号: 9 - (Σ P_n × Q_n mod 9), n counted from the right."""
    total = 0
    for n, digit in enumerate(reversed(base12), start=1):
        weight = 1 if n % 2 == 1 else 2
        total += int(digit) * weight
    return 9 - (total % 9)


def corporate_number_problem(value: str) -> str | None:
    """None when `value` (already normalised) is a valid 法人番号, else why it is not."""
    if not _CORPORATE_NUMBER.match(value):
        return "length"
    if int(value[0]) != corporate_number_check_digit(value[1:]):
        return "check_digit"
    return None


def format_postal_code(value: str) -> str | None:
    """`NNN-NNNN` from seven digits with or without the hyphen; None when malformed."""
    match = _POSTAL_CODE.match(normalize_text(value).replace("ー", "-").replace("−", "-"))
    if not match:
        return None
    return f"{match.group(1)}-{match.group(2)}"
