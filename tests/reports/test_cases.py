from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter

import pytest
from django.utils import timezone

from casebook.reports import selectors
from casebook.reports.selectors import ReportFilters
from casebook.reports.selectors.cases import median_of_counted
from tests.factories import CaseFactory, desk
from tests.reports.conftest import at

FY = 2025


def make_cases(cast):
    rows = [
        # opened, first session, closed, reason
        (at(2025, 4, 1, 0, 0), at(2025, 4, 3), at(2025, 6, 1), "resolved"),
        (at(2025, 5, 10), at(2025, 5, 20), at(2025, 9, 1), "referred_out"),
        (at(2025, 6, 1), None, at(2025, 6, 2), "out_of_scope"),
        (at(2025, 7, 1), at(2025, 7, 8), None, ""),  # open, 273 days on 31 March 2026
        (at(2026, 1, 15), at(2026, 1, 16), None, ""),  # open, 75 days
        (at(2026, 3, 20), None, None, ""),  # open, 11 days
        (at(2025, 11, 1), at(2025, 11, 2), at(2026, 4, 2), "resolved"),  # closed after the year
        (at(2025, 3, 31, 23, 59), at(2025, 4, 2), at(2025, 4, 5), "resolved"),  # opened FY2024
        (at(2024, 12, 1), None, None, ""),  # open since FY2024: 485 days
    ]
    cases = []
    for opened, first, closed, reason in rows:
        status = "closed" if closed and closed < at(2026, 4, 1) else "active"
        cases.append(
            CaseFactory(
                opened_at=opened,
                first_session_at=first,
                closed_at=closed,
                closure_reason=reason,
                closure_summary="支援終了" if reason else "",
                status=status,
                lead_counselor=cast.counselor,
                confidentiality="restricted" if reason == "referred_out" else "normal",
            )
        )
    CaseFactory(desk=desk("ip"), opened_at=at(2025, 8, 1))  # another desk
    return cases


def local(day: dt.datetime) -> dt.date:
    return timezone.localtime(day).date()


def in_fy(day: dt.datetime | None) -> bool:
    return day is not None and dt.date(FY, 4, 1) <= local(day) <= dt.date(FY + 1, 3, 31)


def test_cases_opened_and_closed_by_reason_are_counted_from_their_dates(cast):
    cases = make_cases(cast)
    report = selectors.case_report(
        user=cast.coordinator, filters=ReportFilters(FY, desk=desk("yorozu"))
    )

    assert report.opened == sum(1 for c in cases if in_fy(c.opened_at)) == 7
    closed = [c for c in cases if in_fy(c.closed_at)]
    assert report.closed == len(closed) == 4
    assert {key: n for key, _label, n in report.closed_by_reason} == dict(
        Counter(c.closure_reason for c in closed)
    )
    assert {r.month.strftime("%Y-%m"): r.opened for r in report.by_month if r.opened} == dict(
        Counter(local(c.opened_at).strftime("%Y-%m") for c in cases if in_fy(c.opened_at))
    )


def test_the_median_wait_for_a_first_session_is_in_days_of_the_cases_opened_in_the_year(cast):
    cases = make_cases(cast)
    report = selectors.case_report(
        user=cast.manager, filters=ReportFilters(FY, desk=desk("yorozu"))
    )

    waits = [
        (local(c.first_session_at) - local(c.opened_at)).days
        for c in cases
        if in_fy(c.opened_at) and c.first_session_at
    ]
    assert report.median_days_to_first_session == statistics.median(waits) == 2


def test_open_cases_are_aged_on_the_last_day_of_a_past_year(cast):
    cases = make_cases(cast)
    report = selectors.case_report(
        user=cast.manager, filters=ReportFilters(FY, desk=desk("yorozu"))
    )

    as_of = dt.date(2026, 3, 31)
    assert report.as_of == as_of
    ages = [
        (as_of - local(c.opened_at)).days
        for c in cases
        if local(c.opened_at) <= as_of and (c.closed_at is None or local(c.closed_at) > as_of)
    ]
    expected = {
        "0-30": sum(1 for a in ages if a <= 30),
        "31-90": sum(1 for a in ages if 31 <= a <= 90),
        "91-180": sum(1 for a in ages if 91 <= a <= 180),
        "181-": sum(1 for a in ages if a > 180),
    }
    assert {key: n for key, _label, n in report.aging} == expected
    assert expected == {"0-30": 1, "31-90": 1, "91-180": 1, "181-": 2}


def test_open_cases_fall_in_their_age_bucket_by_the_local_day_they_opened(cast):
    """The ages on the buckets' edges, each case opened at its day's first and last minute
    (in Japan's time) and never closed: counted by the day it opened, 31 March 2026 the
    as-of day."""
    as_of = dt.date(2026, 3, 31)
    ages = [0, 30, 31, 90, 91, 180, 181, 400]
    for age in ages:
        day = as_of - dt.timedelta(days=age)
        for hour, minute in ((0, 0), (23, 59)):
            CaseFactory(
                opened_at=at(day.year, day.month, day.day, hour, minute),
                status="active",
                lead_counselor=cast.counselor,
            )
    # opened after the as-of day
    CaseFactory(opened_at=at(2026, 4, 1, 0, 0), status="active", lead_counselor=cast.counselor)

    report = selectors.case_report(user=cast.manager, filters=ReportFilters(FY))

    assert {key: n for key, _label, n in report.aging} == {
        "0-30": 4,
        "31-90": 4,
        "91-180": 4,
        "181-": 4,
    }
    assert report.open_cases == 2 * len(ages)


def test_the_restricted_case_is_counted_among_the_closures(cast):
    make_cases(cast)
    report = selectors.case_report(user=cast.auditor, filters=ReportFilters(FY))

    assert {key: n for key, _label, n in report.closed_by_reason}["referred_out"] == 1


def test_a_closure_counts_in_its_month_by_its_reason_even_after_the_case_reopened(
    cast, monkeypatch
):
    from casebook.intake import services
    from tests.factories import case_in_state

    case = case_in_state("assigned", lead=cast.counselor, by=cast.coordinator)
    steps = [
        (at(2025, 5, 20), lambda: services.case_close(
            case=case, by=cast.coordinator, reason="unreachable", summary="連絡がつかない")),
        (at(2025, 6, 3), lambda: services.case_reopen(
            case=case, by=cast.coordinator, reason="先方から連絡があった")),
        (at(2025, 8, 29), lambda: services.case_close(
            case=case, by=cast.coordinator, reason="resolved", summary="資金調達に目処")),
        (at(2025, 9, 1), lambda: services.case_reopen(
            case=case, by=cast.coordinator, reason="追加の相談")),
    ]  # fmt: skip
    for moment, step in steps:
        monkeypatch.setattr(timezone, "now", lambda moment=moment: moment)
        step()
        case.refresh_from_db()
    monkeypatch.undo()
    imported = CaseFactory(  # closed without a transition (an imported record)
        status="closed", closed_at=at(2025, 8, 2), closure_reason="withdrawn",
        closure_summary="取り下げ",
        opened_at=at(2025, 7, 1),
    )  # fmt: skip

    report = selectors.case_report(user=cast.manager, filters=ReportFilters(FY))
    closed = {row.month.month: row.closed for row in report.by_month if row.closed}
    assert closed == {5: 1, 8: 2}
    assert {key: count for key, _label, count in report.closed_by_reason} == {
        "unreachable": 1,
        "resolved": 1,
        "withdrawn": 1,
    }
    assert report.closed == 3
    assert case.closed_at is None and imported.closed_at is not None


def test_a_past_years_open_cases_are_those_open_at_its_end_not_today(cast, monkeypatch):
    """Each case's state on 31 March 2026, whatever happened to it since."""
    from casebook.intake import services
    from tests.factories import case_in_state

    def run(moment: dt.datetime, step) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)
        step()

    def close(case, moment: dt.datetime) -> None:
        run(
            moment,
            lambda: services.case_close(
                case=case, by=cast.coordinator, reason="resolved", summary="支援終了"
            ),
        )
        case.refresh_from_db()

    def reopen(case, moment: dt.datetime) -> None:
        run(moment, lambda: services.case_reopen(case=case, by=cast.coordinator, reason="再開"))
        case.refresh_from_db()

    def opened(moment: dt.datetime):
        monkeypatch.setattr(timezone, "now", lambda: moment)
        case = case_in_state("assigned", lead=cast.counselor, by=cast.coordinator)
        case.opened_at = moment
        case.save(update_fields=["opened_at"])
        return case

    # closed in February, reopened after the year: closed at the year's end
    reopened_later = opened(at(2026, 1, 5))
    close(reopened_later, at(2026, 2, 10))
    reopen(reopened_later, at(2026, 5, 1))
    # closed on 1 April (after the year's end): open then, 40 days old on 31 March
    closed_after = opened(at(2026, 2, 19))
    close(closed_after, at(2026, 4, 1, 0, 0))
    # closed at the year's last minute: closed then
    closed_last_minute = opened(at(2025, 4, 1))
    close(closed_last_minute, at(2026, 3, 31, 23, 59))
    # closed in January, reopened in March: open at the year's end, 200 days old
    reopened_within = opened(at(2025, 9, 12))
    close(reopened_within, at(2026, 1, 10))
    reopen(reopened_within, at(2026, 3, 1))
    # imported as closed (no transition) in December, reopened after the year: closed then
    imported = CaseFactory(
        status="closed", closed_at=at(2025, 12, 1), closure_reason="withdrawn",
        closure_summary="取り下げ", opened_at=at(2025, 11, 1), lead_counselor=cast.counselor,
    )  # fmt: skip
    reopen(imported, at(2026, 6, 1))
    monkeypatch.undo()

    report = selectors.case_report(user=cast.manager, filters=ReportFilters(FY))

    assert reopened_later.closed_at is None and imported.closed_at is None  # today: open
    assert closed_after.closed_at is not None  # today: closed
    as_of = dt.date(2026, 3, 31)
    open_then = [closed_after, reopened_within]
    ages = sorted((as_of - local(case.opened_at)).days for case in open_then)
    assert ages == [40, 200]
    assert report.open_cases == 2
    assert {key: n for key, _label, n in report.aging} == {
        "0-30": 0,
        "31-90": 1,
        "91-180": 0,
        "181-": 1,
    }


@pytest.mark.parametrize(
    "values",
    [[], [3], [1, 2], [5, 1, 1], [2, 2, 2, 9], [0, 4, 4, 7, 10, 10], list(range(7)) * 3],
)
def test_the_median_of_counted_values_is_the_median_of_the_values_one_by_one(values):
    counted = sorted(Counter(values).items())
    expected = statistics.median(values) if values else None
    got = median_of_counted(counted)
    assert got == expected and type(got) is type(expected)
