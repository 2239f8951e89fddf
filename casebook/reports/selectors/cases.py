"""Cases opened and closed (by closure reason), the median days from intake to the first
session, and the open cases' ageing (DESIGN §11 as docs/reports.md, "Cases" states it).

The filters apply to the case: its desk, its intake office, its lead counselor, its topics.
A session's mode says nothing about a case, so the mode filter does not narrow these figures
(the page says so). Restricted cases are counted; none is named or linked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from django.db import connections
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from casebook.common.days import on_days, start_of_day
from casebook.intake.models import Case, CaseTransition, ClosureReason
from casebook.reports import case_tallies
from casebook.reports.selectors.consultations import _month_key, tally_scope
from casebook.reports.selectors.filters import ReportFilters, scoped

if TYPE_CHECKING:
    from casebook.accounts.models import User

# (key, label, the youngest and the oldest age in days; None: no bound)
AGE_BUCKETS: tuple[tuple[str, str, int, int | None], ...] = (
    ("0-30", "0–30", 0, 30),
    ("31-90", "31–90", 31, 90),
    ("91-180", "91–180", 91, 180),
    ("181-", ">180", 181, None),
)


@dataclass
class CaseMonthRow:
    month: dt.date
    opened: int = 0
    closed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"month": self.month.strftime("%Y-%m"), "opened": self.opened, "closed": self.closed}


@dataclass
class CaseReport:
    filters: ReportFilters
    as_of: dt.date
    opened: int = 0
    closed: int = 0
    by_month: list[CaseMonthRow] = field(default_factory=list)
    closed_by_reason: list[tuple[str, str, int]] = field(default_factory=list)
    median_days_to_first_session: float | None = None
    cases_with_first_session: int = 0
    aging: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def open_cases(self) -> int:
        return sum(count for _key, _label, count in self.aging)

    def as_dict(self) -> dict[str, Any]:
        return {
            "fiscal_year": self.filters.fiscal_year,
            "fiscal_year_label": self.filters.label,
            "opened": self.opened,
            "closed": self.closed,
            "by_month": [row.as_dict() for row in self.by_month],
            "closed_by_reason": [
                {"reason": key, "label": label, "closed": count}
                for key, label, count in self.closed_by_reason
            ],
            "median_days_to_first_session": self.median_days_to_first_session,
            "cases_with_first_session": self.cases_with_first_session,
            "open_as_of": self.as_of.isoformat(),
            "open_cases": self.open_cases,
            "aging": [
                {"bucket": key, "label": label, "cases": count} for key, label, count in self.aging
            ],
        }


def report_cases(*, user: User, filters: ReportFilters) -> QuerySet[Case]:
    """Every case of the desks `user` reads figures of, narrowed by the filters (not yet by
    the period: each figure has its own date)."""
    cases = scoped(Case.objects.all(), user=user, desk_field="desk_id", filters=filters)
    if filters.office is not None:
        cases = cases.filter(intake_office_id=filters.office.pk)
    if filters.counselor is not None:
        cases = cases.filter(lead_counselor_id=filters.counselor.pk)
    if filters.topic is not None:
        cases = cases.filter(
            pk__in=Case.topics.through.objects.filter(topic_id=filters.topic.pk).values("case_id")
        )
    return cases


def _as_of(filters: ReportFilters) -> dt.date:
    """The day the open cases are aged on: today, or the last day of a past fiscal year."""
    return min(timezone.localdate(), filters.last_day)


def case_report(*, user: User, filters: ReportFilters) -> CaseReport:
    """The opened cases per month, the closures per month and reason and the days from
    intake to the first session, read from the counts PostgreSQL keeps
    (`casebook.reports.case_tallies`: one query) for every desk or one desk with no other
    filter, else counted from the cases (4 queries); then the ageing (2 queries: the cases
    never closed nor reopened that were open at the end of the as-of day, counted per age,
    from the kept counts where they hold them; the close and reopen transitions of the
    others; as of today, a probe for a case dated to close after it first)."""
    cases = report_cases(user=user, filters=filters)
    report = CaseReport(filters=filters, as_of=_as_of(filters))
    # A session's mode says nothing about a case: the mode filter does not narrow these.
    scope = tally_scope(user=user, filters=replace(filters, mode=""), using=cases.db)
    if scope is not None:
        figures = _figures_kept(filters=filters, scope=scope, using=cases.db)
    else:
        figures = _figures_counted(cases, filters=filters)
    opened, closures, waits = figures

    months = {month.month: CaseMonthRow(month=month) for month in filters.months()}
    for month, n in opened:
        months[month].opened += n
        report.opened += n
    reasons: dict[str, int] = {}
    for month, reason, n in closures:
        months[month].closed += n
        reasons[reason] = reasons.get(reason, 0) + n
        report.closed += n
    report.by_month = list(months.values())
    labels = dict(ClosureReason.choices)
    report.closed_by_reason = [
        (key, str(labels.get(key, key or "—")), count)
        for key, count in sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
    ]
    counted = sorted(waits)
    report.cases_with_first_session = sum(n for _days, n in counted)
    report.median_days_to_first_session = median_of_counted(counted)

    # Open at the end of the as-of day: opened by then, and not closed then. The cases never
    # closed nor reopened by a transition are kept counted per opening day and year of closing:
    # enough on the last day of a fiscal year (closed after it is closed in a later year), and
    # today (open is not closed yet) unless a case is dated to close after today.
    end_of_day = start_of_day(report.as_of + dt.timedelta(days=1))
    kept: tuple[int | None, int] | None = None
    if scope is not None:
        if report.as_of == filters.last_day:
            kept = (filters.fiscal_year, scope)
        elif not Case.objects.using(cases.db).filter(closed_at__gte=end_of_day).exists():
            kept = (None, scope)
    by_age = _open_cases_by_age(cases, as_of=report.as_of, end_of_day=end_of_day, kept=kept)
    report.aging = [(key, label, by_age[key]) for key, label, _youngest, _oldest in AGE_BUCKETS]
    return report


# (opened per month number, closures per month number and reason, cases per days waited)
CaseFigures = tuple[list[tuple[int, int]], list[tuple[int, str, int]], list[tuple[int, int]]]


def _figures_kept(*, filters: ReportFilters, scope: int, using: str) -> CaseFigures:
    """The year's figures for `scope` (0: every desk; a desk's id) as PostgreSQL keeps them:
    one query, which reads no case (docs/performance.md, "The case figures kept as cases are
    written")."""
    opened: list[tuple[int, int]] = []
    closures: list[tuple[int, str, int]] = []
    waits: list[tuple[int, int]] = []
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT kind, key, cases FROM {case_tallies.TABLE} "
            "WHERE fiscal_year = %s AND scope = %s AND cases > 0",
            [filters.fiscal_year, scope],
        )
        for kind, key, n in cursor.fetchall():
            if kind == case_tallies.OPENED:
                opened.append((int(key), n))
            elif kind == case_tallies.WAITED:
                waits.append((int(key), n))
            elif kind == case_tallies.CLOSED:
                month, _colon, reason = key.partition(":")
                closures.append((int(month), reason, n))
    return opened, closures, waits


def _figures_counted(cases: QuerySet[Case], *, filters: ReportFilters) -> CaseFigures:
    """The year's figures counted from `cases` (any filter, any database): 4 queries over the
    year's cases, from their indexes on PostgreSQL."""
    in_period = {"gte": filters.starts, "lt": filters.ends}
    opened = (
        cases.filter(opened_at__gte=in_period["gte"], opened_at__lt=in_period["lt"])
        .annotate(month=TruncMonth("opened_at"))
        .order_by()
        .values_list("month")
        .annotate(n=Count("id"))
    )
    # Each closure counts in its month, by the reason it gave, even when the case reopened
    # since (its `closed_at` is then cleared): read from the close transitions. A case closed
    # without one (imported records) counts by its own `closed_at`.
    closures = (
        CaseTransition.objects.filter(
            action="close",
            at__gte=in_period["gte"],
            at__lt=in_period["lt"],
            case__in=cases.values("pk"),
        )
        .annotate(month=TruncMonth("at"))
        .order_by()
        .values_list("month", "closure_reason")
        .annotate(n=Count("id"))
    )
    without_transition = (
        cases.filter(closed_at__gte=in_period["gte"], closed_at__lt=in_period["lt"])
        .exclude(transitions__action="close")
        .annotate(month=TruncMonth("closed_at"))
        .order_by()
        .values_list("month", "closure_reason")
        .annotate(n=Count("id"))
    )
    # The days between the local dates, counted per number of days in SQL: a year's cases are
    # a few hundred distinct waits, not 20,000 rows read into Python (docs/performance.md,
    # "The FY KPI report", "The year's counts kept as sessions are written").
    waits = (
        cases.filter(
            opened_at__gte=in_period["gte"],
            opened_at__lt=in_period["lt"],
            first_session_at__isnull=False,
        )
        .order_by()
        .values(wait=TruncDate("first_session_at") - TruncDate("opened_at"))
        .annotate(n=Count("pk"))
        .values_list("wait", "n")
    )
    return (
        [(_month_key(month).month, n) for month, n in opened],
        [
            (_month_key(month).month, reason, n)
            for month, reason, n in [*closures, *without_transition]
        ],
        [(wait.days, n) for wait, n in waits],
    )


def median_of_counted(counted: list[tuple[int, int]]) -> float | int | None:
    """The median of values given as sorted `(value, how many)` pairs, as `statistics.median`
    gives it for the values one by one: the middle value, or the mean of the two middle
    ones; None for none."""
    total = sum(n for _value, n in counted)
    if not total:
        return None
    middle: list[int] = []
    wanted = [total // 2] if total % 2 else [total // 2 - 1, total // 2]
    seen = 0
    for value, n in counted:
        while wanted and wanted[0] < seen + n:
            middle.append(value)
            wanted.pop(0)
        seen += n
    return middle[0] if len(middle) == 1 else (middle[0] + middle[1]) / 2


def _open_cases_by_age(
    cases: QuerySet[Case],
    *,
    as_of: dt.date,
    end_of_day: dt.datetime,
    kept: tuple[int | None, int] | None = None,
) -> dict[str, int]:
    """How many of `cases` were open at the end of `as_of` (`end_of_day`), per age bucket
    (`AGE_BUCKETS`, the age in days on `as_of`), in two queries whatever the backlog.

    Only a case opened by then and open today or closed since that day can have been open
    then (`closed_at` is its last close). A case's own `closed_at` is today's state (cleared
    when it reopened, moved when it closed again), so its state on a past day is that of its
    last close or reopen dated by then; a case with none by then was open then unless its
    next change is a reopen (docs/reports.md, "Cases").

    A candidate that was never closed nor reopened was open then: those, most of a backlog,
    are counted per bucket in SQL on the day they opened. The others are read with their
    close and reopen transitions and walked here (docs/performance.md, "The stress shape":
    reading every open case's age into Python grew with the backlog).

    With `kept` (fiscal year, scope), `as_of` the last day of that year, or (None, scope)
    with no case closing after `as_of`: the cases never closed nor reopened are read from the
    counts PostgreSQL keeps per opening day and year of closing (`case_tallies.OPEN_UNTIL`),
    not from the cases (docs/performance.md, "The case figures kept as cases are written").
    """
    candidates = cases.filter(opened_at__lt=end_of_day).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=end_of_day)
    )
    changes = CaseTransition.objects.filter(action__in=case_tallies.CHANGES)
    if kept is not None:
        by_age = _never_changed_by_age_kept(
            fiscal_year=kept[0], scope=kept[1], as_of=as_of, using=cases.db
        )
    else:
        by_age = candidates.filter(~Exists(changes.filter(case=OuterRef("pk")))).aggregate(
            **{
                key: Count(
                    "pk",
                    filter=on_days(
                        "opened_at",
                        as_of - dt.timedelta(days=oldest) if oldest is not None else None,
                        as_of - dt.timedelta(days=youngest),
                    ),
                )
                for key, _label, youngest, oldest in AGE_BUCKETS
            }
        )
    # Each transition row carries its case's opening day: a candidate with transitions has at
    # least one, so no read of those cases on their own.
    opened: dict[int, dt.date] = {}
    last_before: dict[int, str] = {}
    first_after: dict[int, str] = {}
    rows = (
        changes.filter(case__in=candidates.values("pk"))
        .order_by("at", "id")
        .values_list("case_id", "action", "at", TruncDate("case__opened_at"))
    )
    for case_id, action, at, opened_on in rows:
        opened[case_id] = opened_on
        if at < end_of_day:
            last_before[case_id] = action
        else:
            first_after.setdefault(case_id, action)
    for pk, opened_on in opened.items():
        if last_before.get(pk) == "reopen" or (
            pk not in last_before and first_after.get(pk, "close") == "close"
        ):
            age = (as_of - opened_on).days
            for key, _label, youngest, oldest in AGE_BUCKETS:
                if youngest <= age and (oldest is None or age <= oldest):
                    by_age[key] += 1
    return by_age


def _never_changed_by_age_kept(
    *, fiscal_year: int | None, scope: int, as_of: dt.date, using: str
) -> dict[str, int]:
    """The cases never closed nor reopened by a transition that were open at the end of
    `as_of`, per age bucket: opened by then, and closed in a year after `fiscal_year` (whose
    last day `as_of` is) or not yet; with no `fiscal_year`, not closed yet. One query over the
    kept counts' opening days."""
    sums = []
    params: list[Any] = []
    for _key, _label, youngest, oldest in AGE_BUCKETS:
        condition = "key <= %s"
        params.append((as_of - dt.timedelta(days=youngest)).isoformat())
        if oldest is not None:
            condition += " AND key >= %s"
            params.append((as_of - dt.timedelta(days=oldest)).isoformat())
        sums.append(f"COALESCE(sum(cases) FILTER (WHERE {condition}), 0)")
    params += [scope, case_tallies.OPEN_UNTIL]
    # The year of closing: 0 while open.
    closing = "fiscal_year = 0"
    if fiscal_year is not None:
        closing = "(fiscal_year = 0 OR fiscal_year > %s)"
        params.append(fiscal_year)
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(sums)} FROM {case_tallies.TABLE} "
            f"WHERE scope = %s AND kind = %s AND {closing}",
            params,
        )
        counts = cursor.fetchone()
    return {key: int(n) for (key, *_rest), n in zip(AGE_BUCKETS, counts, strict=True)}
