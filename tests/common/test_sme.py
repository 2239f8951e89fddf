from __future__ import annotations

import pytest

from casebook.common.sme import SizeClass, SizeSector, size_class

OTHER, W, S, R = SizeSector.OTHER, SizeSector.WHOLESALE, SizeSector.SERVICES, SizeSector.RETAIL


@pytest.mark.parametrize(
    ("sector", "capital", "employees", "expected"),
    [
        # manufacturing and others: 300M yen or 300 people; small up to 20
        (OTHER, 300_000_001, 20, SizeClass.SMALL),
        (OTHER, 300_000_001, 21, SizeClass.SME),
        (OTHER, 300_000_001, 300, SizeClass.SME),
        (OTHER, 300_000_000, 301, SizeClass.SME),
        (OTHER, 300_000_001, 301, SizeClass.LARGE),
        # wholesale: 100M or 100; small up to 5
        (W, 100_000_001, 5, SizeClass.SMALL),
        (W, 100_000_001, 6, SizeClass.SME),
        (W, 100_000_001, 100, SizeClass.SME),
        (W, 100_000_000, 101, SizeClass.SME),
        (W, 100_000_001, 101, SizeClass.LARGE),
        # services: 50M or 100; small up to 5
        (S, 50_000_001, 5, SizeClass.SMALL),
        (S, 50_000_001, 6, SizeClass.SME),
        (S, 50_000_001, 100, SizeClass.SME),
        (S, 50_000_000, 101, SizeClass.SME),
        (S, 50_000_001, 101, SizeClass.LARGE),
        # retail: 50M or 50; small up to 5
        (R, 50_000_001, 5, SizeClass.SMALL),
        (R, 50_000_001, 6, SizeClass.SME),
        (R, 50_000_001, 50, SizeClass.SME),
        (R, 50_000_000, 51, SizeClass.SME),
        (R, 50_000_001, 51, SizeClass.LARGE),
    ],
)
def test_size_class_at_every_threshold(sector, capital, employees, expected):
    assert size_class(sector, capital, employees) == expected


@pytest.mark.parametrize(
    ("sector", "capital", "employees"),
    [
        (None, 1_000, 3),  # no industry: the thresholds are unknown
        (OTHER, 1_000, None),  # an SME by capital, but small or not depends on the headcount
        (OTHER, None, None),
        (OTHER, None, 301),  # over the headcount limit, capital unknown
    ],
)
def test_missing_inputs_give_unknown_not_a_guess(sector, capital, employees):
    assert size_class(sector, capital, employees) == SizeClass.UNKNOWN


def test_a_sole_proprietor_without_capital_is_classed_by_headcount():
    assert size_class(R, None, 2) == SizeClass.SMALL
