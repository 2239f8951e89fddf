"""SME size class under 中小企業基本法 (docs/rules.md, "Japanese conventions")."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SizeClass(StrEnum):
    LARGE = "large"
    SME = "sme"
    SMALL = "small"
    UNKNOWN = "unknown"


class SizeSector(StrEnum):
    OTHER = "other"  # manufacturing, construction, transport and everything not below
    WHOLESALE = "wholesale"
    SERVICES = "services"
    RETAIL = "retail"


@dataclass(frozen=True)
class Thresholds:
    capital_yen: int
    employees: int
    small_employees: int


THRESHOLDS: dict[SizeSector, Thresholds] = {
    SizeSector.OTHER: Thresholds(300_000_000, 300, 20),
    SizeSector.WHOLESALE: Thresholds(100_000_000, 100, 5),
    SizeSector.SERVICES: Thresholds(50_000_000, 100, 5),
    SizeSector.RETAIL: Thresholds(50_000_000, 50, 5),
}


def size_class(
    sector: SizeSector | None, capital_yen: int | None, employees: int | None
) -> SizeClass:
    """Classify without guessing: any answer that depends on a missing input is `unknown`.

    A company is an SME when its capital OR its headcount is within the sector's limit, and
    a small enterprise when its headcount is within the small limit.
    """
    if sector is None:
        return SizeClass.UNKNOWN
    limits = THRESHOLDS[sector]
    if employees is not None and employees <= limits.small_employees:
        return SizeClass.SMALL
    if employees is None:
        # Within the capital limit it is an SME, but small or not depends on the headcount.
        return SizeClass.UNKNOWN
    if employees <= limits.employees:
        return SizeClass.SME
    if capital_yen is None:
        return SizeClass.UNKNOWN
    return SizeClass.SME if capital_yen <= limits.capital_yen else SizeClass.LARGE
