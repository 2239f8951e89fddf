"""The filters of a KPI report and the period they stand for."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from casebook.common.days import start_of_day
from casebook.common.fiscal import fiscal_year_bounds, fiscal_year_label

if TYPE_CHECKING:
    from casebook.accounts.models import Desk, User
    from casebook.intake.models import Topic
    from casebook.satellites.models import Office


@dataclass(frozen=True)
class ReportFilters:
    fiscal_year: int
    desk: Desk | None = None
    office: Office | None = None
    counselor: User | None = None
    topic: Topic | None = None
    mode: str = ""

    @property
    def label(self) -> str:
        return fiscal_year_label(self.fiscal_year)

    @property
    def first_day(self) -> dt.date:
        return fiscal_year_bounds(self.fiscal_year)[0]

    @property
    def last_day(self) -> dt.date:
        return fiscal_year_bounds(self.fiscal_year)[1]

    @property
    def starts(self) -> dt.datetime:
        return start_of_day(self.first_day)

    @property
    def ends(self) -> dt.datetime:
        """The first instant after the period (1 April of the next fiscal year)."""
        return start_of_day(self.last_day + dt.timedelta(days=1))

    def months(self) -> list[dt.date]:
        """The first day of each month of the fiscal year, April to March."""
        first = self.first_day
        return [
            dt.date(first.year + (first.month + i - 1) // 12, (first.month + i - 1) % 12 + 1, 1)
            for i in range(12)
        ]

    def query(self) -> dict[str, str]:
        """The filters as query parameters (the export links of a page)."""
        params = {"fy": str(self.fiscal_year)}
        if self.desk is not None:
            params["desk"] = self.desk.code
        if self.office is not None:
            params["office"] = self.office.code
        if self.counselor is not None:
            params["counselor"] = str(self.counselor.pk)
        if self.topic is not None:
            params["topic"] = self.topic.code
        if self.mode:
            params["mode"] = self.mode
        return params


def scoped(rows: QuerySet, *, user: User, desk_field: str, filters: ReportFilters) -> QuerySet:
    """`rows` of the desks whose figures `user` reads (`policy.report_desk_ids`), narrowed to
    the desk filter; `desk_field` names the desk of a row (`case__desk_id`, `desk_id`)."""
    from casebook.reports import policy

    desk_ids = policy.report_desk_ids(user)
    if desk_ids is not None:
        rows = rows.filter(**{f"{desk_field}__in": desk_ids})
    if filters.desk is not None:
        rows = rows.filter(**{desk_field: filters.desk.pk})
    return rows
