"""What clients reported at intake, closure and follow-ups, and the change it shows
(docs/reports.md, "Outcomes"): per client and in aggregate, for a fiscal year.

A client counts in a fiscal year when it reported something in that year. For each figure
(sales, employees, value added) its change runs from the client's earliest report of that
figure (any year up to the end of this one) to its latest report of it in the year; a client
with one report of a figure has no change for it. The figures of every client count in the
aggregate; a client is listed by name only when none of its reports belongs to a case the
reader may not see or a restricted one (docs/rules.md, "Visibility").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.http import Http404

from casebook.common.paging import PAGE_SIZE, Page
from casebook.intake import policy as case_policy
from casebook.intake.models import BusinessStatus, ClientOutcome, Confidentiality
from casebook.reports.selectors.filters import ReportFilters, scoped

if TYPE_CHECKING:
    from casebook.accounts.models import User

# (key, the column of ClientOutcome)
CHANGE_FIGURES: tuple[tuple[str, str], ...] = (
    ("sales", "sales_yen"),
    ("employees", "employees"),
    ("value_added", "value_added_yen"),
)
FACTS = ("patent_filed", "trademark_filed", "export_started")


@dataclass
class FigureChange:
    first: int | None = None
    first_on: dt.date | None = None
    last: int | None = None
    last_on: dt.date | None = None

    @property
    def compared(self) -> bool:
        """Two reports of the figure, the later one in the year."""
        return (
            self.last_on is not None and self.first_on is not None and self.first_on < self.last_on
        )

    @property
    def change(self) -> int | None:
        return self.last - self.first if self.compared else None  # type: ignore[operator]

    def as_dict(self) -> dict[str, Any]:
        return {
            "first": self.first,
            "first_on": self.first_on.isoformat() if self.first_on else None,
            "last": self.last,
            "last_on": self.last_on.isoformat() if self.last_on else None,
            "change": self.change,
        }


@dataclass
class ClientChange:
    client_id: int
    name: str
    reports: int = 0  # in the year
    figures: dict[str, FigureChange] = field(
        default_factory=lambda: {key: FigureChange() for key, _column in CHANGE_FIGURES}
    )
    new_customers: int = 0
    facts: set[str] = field(default_factory=set)
    business_status: str = ""

    @property
    def business_label(self) -> str:
        return str(BusinessStatus(self.business_status).label) if self.business_status else ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "client": self.client_id,
            "client_name": self.name,
            "reports": self.reports,
            **{key: figure.as_dict() for key, figure in self.figures.items()},
            "new_customers": self.new_customers,
            **{fact: fact in self.facts for fact in FACTS},
            "business_status": self.business_status,
        }


@dataclass
class AggregateChange:
    key: str
    clients: int = 0  # compared
    first: int = 0
    last: int = 0

    @property
    def change(self) -> int:
        return self.last - self.first

    @property
    def percent(self) -> float | None:
        return round(100 * self.change / abs(self.first), 1) if self.first else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "figure": self.key,
            "clients": self.clients,
            "first": self.first,
            "last": self.last,
            "change": self.change,
            "percent": self.percent,
        }


@dataclass
class OutcomeReport:
    filters: ReportFilters
    reports: int = 0
    clients: int = 0
    aggregate: list[AggregateChange] = field(default_factory=list)
    new_customers: int = 0
    facts: dict[str, int] = field(default_factory=dict)  # fact -> clients
    business: list[tuple[str, str, int]] = field(default_factory=list)  # latest status
    unlisted_clients: int = 0
    page: Page = field(default_factory=lambda: Page(rows=[], number=1, has_next=False))

    def as_dict(self) -> dict[str, Any]:
        return {
            "fiscal_year": self.filters.fiscal_year,
            "fiscal_year_label": self.filters.label,
            "reports": self.reports,
            "clients": self.clients,
            "aggregate": [row.as_dict() for row in self.aggregate],
            "new_customers": self.new_customers,
            **{fact: self.facts.get(fact, 0) for fact in FACTS},
            "business": [
                {"status": key, "label": label, "clients": count}
                for key, label, count in self.business
            ],
            "unlisted_clients": self.unlisted_clients,
        }


def report_outcomes(*, user: User, filters: ReportFilters) -> QuerySet[ClientOutcome]:
    """The reports of the desks `user` reads figures of (by their case's desk; a report tied
    to no case counts for the organisation-wide readers only), narrowed by the filters: desk,
    office (the case's intake office), counselor (its lead), topic (among its topics)."""
    rows = scoped(
        ClientOutcome.objects.all(), user=user, desk_field="case__desk_id", filters=filters
    )
    if filters.office is not None:
        rows = rows.filter(case__intake_office_id=filters.office.pk)
    if filters.counselor is not None:
        rows = rows.filter(case__lead_counselor_id=filters.counselor.pk)
    if filters.topic is not None:
        rows = rows.filter(case__topics=filters.topic.pk)
    return rows


def _unlisted_q(user: User) -> Q:
    """The reports not to be named to `user`: of a restricted case, or of a case `user` does
    not see. The case rule is asked of each report's own case row, negated, rather than of
    a set of every case `user` sees (for a manager, every case of the decade hashed to
    answer for a year's few reports: docs/performance.md, "Every list on the decade")."""
    restricted = Q(case__confidentiality=Confidentiality.RESTRICTED)
    visible = case_policy.visible_cases_q(user, prefix="case__")
    if visible == Q():
        # A reader who sees every case (a manager): the negation of no condition is none.
        return restricted
    return restricted | (Q(case__isnull=False) & ~visible)


def outcome_report(*, user: User, filters: ReportFilters, page: int = 1) -> OutcomeReport:
    """2 queries: the reports of the clients who reported in the year (up to its end, in
    client order), and the clients not to be named."""
    in_scope = report_outcomes(user=user, filters=filters)
    in_year = Q(reported_on__gte=filters.first_day, reported_on__lte=filters.last_day)
    reporting = in_scope.filter(in_year).values("client_id")
    rows = (
        in_scope.filter(client_id__in=reporting, reported_on__lte=filters.last_day)
        .order_by("client_id", "reported_on", "pk")
        .values_list(
            "client_id",
            "client__name",
            "reported_on",
            *(column for _key, column in CHANGE_FIGURES),
            "new_customers",
            *FACTS,
            "business_status",
        )
    )
    unlisted = set(
        in_scope.filter(in_year)
        .filter(_unlisted_q(user))
        .order_by()
        .values_list("client_id", flat=True)
        .distinct()
    )
    report = OutcomeReport(filters=filters)
    changes: list[ClientChange] = []
    current: ClientChange | None = None
    figure_count = len(CHANGE_FIGURES)
    for row in rows.iterator(chunk_size=2000):
        client_id, name, reported_on = row[0], row[1], row[2]
        values = row[3 : 3 + figure_count]
        new_customers = row[3 + figure_count]
        facts = row[4 + figure_count : 4 + figure_count + len(FACTS)]
        status = row[-1]
        if current is None or current.client_id != client_id:
            current = ClientChange(client_id=client_id, name=name)
            changes.append(current)
        this_year = reported_on >= filters.first_day
        for (key, _column), value in zip(CHANGE_FIGURES, values, strict=True):
            if value is None:
                continue
            figure = current.figures[key]
            if figure.first_on is None:
                figure.first, figure.first_on = value, reported_on
            if this_year:
                figure.last, figure.last_on = value, reported_on
        if this_year:
            report.reports += 1
            current.reports += 1
            current.new_customers += new_customers or 0
            current.facts |= {fact for fact, done in zip(FACTS, facts, strict=True) if done}
            current.business_status = status or current.business_status
    report.clients = len(changes)
    totals = {key: AggregateChange(key=key) for key, _column in CHANGE_FIGURES}
    statuses: dict[str, int] = {}
    for change in changes:
        for key, figure in change.figures.items():
            if figure.compared:
                totals[key].clients += 1
                totals[key].first += figure.first or 0
                totals[key].last += figure.last or 0
        report.new_customers += change.new_customers
        for fact in change.facts:
            report.facts[fact] = report.facts.get(fact, 0) + 1
        if change.business_status:
            statuses[change.business_status] = statuses.get(change.business_status, 0) + 1
    report.aggregate = list(totals.values())
    report.business = [(s.value, str(s.label), statuses.get(s.value, 0)) for s in BusinessStatus]
    listed = sorted(
        (change for change in changes if change.client_id not in unlisted),
        key=lambda change: (change.name, change.client_id),
    )
    report.unlisted_clients = report.clients - len(listed)
    number = max(page, 1)
    start = (number - 1) * PAGE_SIZE
    report.page = Page(
        rows=listed[start : start + PAGE_SIZE],
        number=number,
        has_next=len(listed) > start + PAGE_SIZE,
    )
    return report


def case_outcomes(*, case_id: int, limit: int = 20) -> list[ClientOutcome]:
    """The latest reports recorded on a case (the case page's panel; the caller checked that
    the reader sees the case), newest first, `limit` at most."""
    return list(
        ClientOutcome.objects.filter(case_id=case_id)
        .select_related("recorded_by")
        .order_by("-reported_on", "-pk")[:limit]
    )


def outcome_list_for_user(*, user: User) -> QuerySet[ClientOutcome]:
    """The reports recorded on the cases `user` sees, newest first."""
    return (
        # The rule read on each report's own case (joined), not `case IN (every visible case)`.
        ClientOutcome.objects.filter(
            Q(case__isnull=False) & case_policy.visible_cases_q(user, prefix="case__")
        )
        .select_related("case", "client")
        .order_by("-reported_on", "-pk")
    )


def outcome_get_for_user(*, user: User, pk: Any) -> ClientOutcome:
    """The report if `user` sees its case, else 404."""
    try:
        return outcome_list_for_user(user=user).get(pk=pk)
    except (ClientOutcome.DoesNotExist, ValueError, TypeError):
        raise Http404("no such outcome") from None
