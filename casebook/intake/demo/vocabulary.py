"""Words the demo data is made of: Ibaraki places, company name parts, case titles, notes.

The words themselves are in `vocabulary.toml`; this module names them for the generators.
"""

from __future__ import annotations

from dataclasses import dataclass

from casebook.common.demo import demo_table


@dataclass(frozen=True)
class Place:
    municipality: str
    area_code: str  # the phone area code, e.g. "029" or "0294"
    exchange: str  # how the local exchange numbers of the municipality begin
    towns: tuple[tuple[str, str], ...]  # (town, postal code)
    weight: int


_WORDS = demo_table(__file__, "vocabulary.toml")

# Municipalities of Ibaraki with a few real towns and their postal codes (each code is the
# town's in Japan Post's data: the client service checks the municipality against it).
PLACES: tuple[Place, ...] = tuple(Place(**place) for place in _WORDS["places"])
# Business kinds: (name part, its kana, romaji for the mail domain, JSIC industry code).
TRADES: tuple[tuple[str, str, str, str], ...] = _WORDS["trades"]
# Sole proprietors' trade names: (suffix, kana, industry).
SHOP_TRADES: tuple[tuple[str, str, str], ...] = _WORDS["shop_trades"]
# (name, registry kind code of the 会社法人等番号, weight)
LEGAL_FORMS: tuple[tuple[str, str, int], ...] = _WORDS["legal_forms"]
# Registry offices of the Mito District Legal Affairs Bureau (first four digits of the number).
REGISTRY_OFFICES: tuple[str, ...] = _WORDS["registry_offices"]
CONTACT_TITLES: tuple[str, ...] = _WORDS["contact_titles"]
# Topics each desk deals with (codes of the reference data), with rough weights.
DESK_TOPICS: dict[str, tuple[tuple[str, int], ...]] = _WORDS["desk_topics"]
DESK_WEIGHTS: tuple[tuple[str, int], ...] = _WORDS["desk_weights"]
TITLES: dict[str, tuple[str, ...]] = _WORDS["titles"]
# (summary, advice, client's next actions, our next actions) per topic.
NOTES: dict[str, tuple[tuple[str, str, str, str], ...]] = _WORDS["notes"]
CLOSURE_SUMMARIES: dict[str, tuple[str, ...]] = _WORDS["closure_summaries"]
HOLD_REASONS: tuple[str, ...] = _WORDS["hold_reasons"]
EXIT_TRACK_REASON: str = _WORDS["exit_track_reason"]
