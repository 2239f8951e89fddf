"""The statutory deadlines of an orderly closure of a company (docs/exits.md, "Statutory
deadlines"), computed from the dates the plan records.

A period is counted the way the Civil Code counts it (arts. 140-143): the first day is not
counted, a period of weeks ends on the same weekday, a period of months on the day numbered
like the starting date in the last month, or on that month's last day when it has no such
day (a notice of 31 December runs to the end of February, 29 February in a leap year).

A deadline to *file* something (a registration, a tax return) that falls on a day the offices
are closed — a Saturday, a Sunday, a public holiday, 29 December to 3 January — moves to the
next day they open (Civil Code art. 142; the Act on General Rules for National Taxes
art. 10(2)). A *minimum* period (the creditors' notice of at least two months) never moves:
it ends on its calendar date, and what must wait for it may happen from the next day.
"""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from casebook.common.calendar import is_public_holiday

_SATURDAY = 5


class Statute(StrEnum):
    """The statutory step a milestone stands for (a template names one, or none)."""

    DISSOLUTION_REGISTRATION = "dissolution_registration"
    CREDITOR_PERIOD = "creditor_period"
    FINAL_TAX_RETURN = "final_tax_return"
    COMPLETION_REGISTRATION = "completion_registration"


class Rule(StrEnum):
    BY = "by"  # due on or before the deadline
    AFTER = "after"  # only once the deadline has passed


STATUTE_LABELS = {
    Statute.DISSOLUTION_REGISTRATION: _(
        "dissolution registration: within 2 weeks of the resolution"
    ),
    Statute.CREDITOR_PERIOD: _("creditors' notice in the official gazette: at least 2 months"),
    Statute.FINAL_TAX_RETURN: _("final tax return: within 2 months of the dissolution"),
    Statute.COMPLETION_REGISTRATION: _(
        "completion registration: within 2 weeks of the approval of the liquidation report"
    ),
}


def add_months(day: dt.date, months: int) -> dt.date:
    """The day numbered like `day`, `months` later; the month's last day when it has none."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = month_calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))


def offices_closed(day: dt.date) -> bool:
    """Registries and tax offices are closed on weekends, public holidays and 12/29-1/3."""
    if day.weekday() >= _SATURDAY or is_public_holiday(day):
        return True
    return (day.month, day.day) >= (12, 29) or (day.month, day.day) <= (1, 3)


def next_open_day(day: dt.date) -> dt.date:
    while offices_closed(day):
        day += dt.timedelta(days=1)
    return day


def within_two_weeks(start: dt.date) -> dt.date:
    """A filing due within 2 weeks of `start`: 14 days later, moved past closed days."""
    return next_open_day(start + dt.timedelta(days=14))


def within_two_months(start: dt.date) -> dt.date:
    """A filing due within 2 months of `start`, moved past closed days."""
    return next_open_day(add_months(start, 2))


def two_month_period_end(notice: dt.date) -> dt.date:
    """The last day of a notice period of at least 2 months published on `notice`."""
    return add_months(notice, 2)


@dataclass(frozen=True, slots=True)
class Deadline:
    statute: Statute
    on: dt.date
    rule: Rule


def statutory_deadlines(
    *,
    dissolution_resolved_on: dt.date | None,
    dissolved_on: dt.date | None,
    gazette_notice_on: dt.date | None,
    liquidation_report_approved_on: dt.date | None,
) -> dict[Statute, Deadline]:
    """The deadlines the entered dates give; a deadline whose starting date is not entered
    yet is absent. `dissolved_on` defaults to the resolution's date (a company usually
    dissolves on the day its members resolve so)."""
    found: dict[Statute, Deadline] = {}
    dissolved_on = dissolved_on or dissolution_resolved_on
    if dissolution_resolved_on:
        found[Statute.DISSOLUTION_REGISTRATION] = Deadline(
            Statute.DISSOLUTION_REGISTRATION, within_two_weeks(dissolution_resolved_on), Rule.BY
        )
    if dissolved_on:
        found[Statute.FINAL_TAX_RETURN] = Deadline(
            Statute.FINAL_TAX_RETURN, within_two_months(dissolved_on), Rule.BY
        )
    if gazette_notice_on:
        found[Statute.CREDITOR_PERIOD] = Deadline(
            Statute.CREDITOR_PERIOD, two_month_period_end(gazette_notice_on), Rule.AFTER
        )
    if liquidation_report_approved_on:
        found[Statute.COMPLETION_REGISTRATION] = Deadline(
            Statute.COMPLETION_REGISTRATION,
            within_two_weeks(liquidation_report_approved_on),
            Rule.BY,
        )
    return found


def breaks(deadline: dt.date | None, rule: str, day: dt.date | None) -> bool:
    """Whether a milestone planned or done on `day` breaks its statutory `deadline`."""
    if deadline is None or day is None or not rule:
        return False
    return day > deadline if rule == Rule.BY else day <= deadline
