"""The satisfaction survey's results (docs/reports.md, "Satisfaction survey"): surveys sent,
answered, the response rate, the mean score and the distribution, by desk, by lead counselor
at closure and by month; the clients' comments for managers.

A survey counts in the period it was sent in; "answered" counts those of them answered so
far. The figures read the survey rows only (their desk and counselor were copied at sending);
the office and topic filters ask the case which survey rows to count, never what it holds.
Restricted cases are counted; no case is named, and a comment of a case restricted since is
not shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from casebook.common.days import start_of_day
from casebook.common.fiscal import fiscal_year_bounds
from casebook.intake.models import Case, Confidentiality
from casebook.reports import policy
from casebook.reports.models import SatisfactionSurvey, SurveyScore
from casebook.reports.selectors.consultations import _month_key
from casebook.reports.selectors.filters import ReportFilters, scoped

if TYPE_CHECKING:
    from casebook.accounts.models import Desk, User

SCORES = (5, 4, 3, 2, 1)
COMMENTS_PER_PAGE = 50


def _figures() -> dict[str, Any]:
    answered = Q(answered_at__isnull=False)
    return {
        "sent": Count("pk"),
        "answered": Count("pk", filter=answered),
        "score_sum": Sum("score", filter=answered),
        **{f"score_{score}": Count("pk", filter=Q(score=score)) for score in SCORES},
    }


@dataclass
class SatisfactionRow:
    """The figures of a group of surveys (or of all of them: `SatisfactionSummary`)."""

    key: str = ""
    label: str = ""
    sent: int = 0
    answered: int = 0
    score_sum: int = 0
    distribution: dict[int, int] = field(default_factory=lambda: dict.fromkeys(SCORES, 0))

    @classmethod
    def of(cls, values: dict[str, Any], key: str = "", label: str = "") -> SatisfactionRow:
        return cls(
            key=key,
            label=label,
            sent=values["sent"] or 0,
            answered=values["answered"] or 0,
            score_sum=values["score_sum"] or 0,
            distribution={score: values[f"score_{score}"] or 0 for score in SCORES},
        )

    def add(self, other: SatisfactionRow) -> None:
        self.sent += other.sent
        self.answered += other.answered
        self.score_sum += other.score_sum
        for score, count in other.distribution.items():
            self.distribution[score] += count

    @property
    def response_rate(self) -> Decimal | None:
        """Answered of sent, in percent (one decimal); None when none was sent."""
        if not self.sent:
            return None
        return (Decimal(self.answered * 100) / self.sent).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )

    @property
    def mean_score(self) -> Decimal | None:
        """The mean of the answers' scores (5 very satisfied … 1 dissatisfied), two decimals."""
        if not self.answered:
            return None
        return (Decimal(self.score_sum) / self.answered).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )

    def as_dict(self) -> dict[str, Any]:
        rate, mean = self.response_rate, self.mean_score
        return {
            "key": self.key,
            "label": self.label,
            "sent": self.sent,
            "answered": self.answered,
            "response_rate": None if rate is None else float(rate),
            "mean_score": None if mean is None else float(mean),
            "distribution": {str(score): self.distribution[score] for score in SCORES},
        }


# What another report reads (the funder packs): the same figures, without key and label.
SatisfactionSummary = SatisfactionRow


@dataclass
class SatisfactionComment:
    answered_on: dt.date
    desk: str
    counselor: str
    score: int
    score_label: str
    comment: str


@dataclass
class SatisfactionReport:
    filters: ReportFilters
    total: SatisfactionRow = field(default_factory=SatisfactionRow)
    by_month: list[SatisfactionRow] = field(default_factory=list)
    by_desk: list[SatisfactionRow] = field(default_factory=list)
    by_counselor: list[SatisfactionRow] = field(default_factory=list)
    comments: Page | None = None  # managers only (policy.may_read_survey_comments)
    unlisted_comments: int = 0

    def as_dict(self) -> dict[str, Any]:
        total = self.total.as_dict()
        return {
            "fiscal_year": self.filters.fiscal_year,
            "fiscal_year_label": self.filters.label,
            **{name: total[name] for name in total if name not in ("key", "label")},
            "by_month": [
                {"month": row.key, **_without_key(row.as_dict())} for row in self.by_month
            ],
            "by_desk": [row.as_dict() for row in self.by_desk],
            "by_counselor": [row.as_dict() for row in self.by_counselor],
        }


def _without_key(values: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if name not in ("key", "label")}


def report_surveys(*, user: User, filters: ReportFilters) -> QuerySet[SatisfactionSurvey]:
    """The surveys sent in the period, of the desks `user` reads figures of, narrowed by the
    filters: desk and counselor (those copied at sending), the case's intake office and
    topics. A session's mode says nothing of a survey: the mode filter does not apply."""
    surveys = scoped(
        SatisfactionSurvey.objects.filter(sent_at__gte=filters.starts, sent_at__lt=filters.ends),
        user=user,
        desk_field="desk_id",
        filters=filters,
    )
    if filters.counselor is not None:
        surveys = surveys.filter(counselor_id=filters.counselor.pk)
    if filters.office is not None:
        surveys = surveys.filter(
            case_id__in=Case.objects.filter(intake_office_id=filters.office.pk).values("pk")
        )
    if filters.topic is not None:
        surveys = surveys.filter(
            case_id__in=Case.topics.through.objects.filter(topic_id=filters.topic.pk).values(
                "case_id"
            )
        )
    return surveys


def satisfaction_report(
    *, user: User, filters: ReportFilters, comments: bool = False, page: int | None = None
) -> SatisfactionReport:
    """3 queries (by month, by desk, by counselor; the total is the desks' sum); with
    `comments` (the page), for a manager 3 more: the page of comments (`page`)."""
    surveys = report_surveys(user=user, filters=filters)
    report = SatisfactionReport(filters=filters)
    report.by_month = _by_month(surveys, filters)
    for values in (
        surveys.order_by()
        .values("desk__code", "desk__name", "desk__sort_order")
        .annotate(**_figures())
        .order_by("desk__sort_order", "desk__code")
    ):
        row = SatisfactionRow.of(values, key=values["desk__code"], label=values["desk__name"])
        report.by_desk.append(row)
        report.total.add(row)
    for values in (
        surveys.order_by()
        .values("counselor_id", "counselor__display_name", "counselor__username")
        .annotate(**_figures())
        .order_by("counselor__display_name", "counselor__username", "counselor_id")
    ):
        label = values["counselor__display_name"] or values["counselor__username"] or "—"
        key = "" if values["counselor_id"] is None else str(values["counselor_id"])
        report.by_counselor.append(SatisfactionRow.of(values, key=key, label=label))
    if comments and policy.may_read_survey_comments(user):
        report.comments, report.unlisted_comments = _comments(surveys, page)
    return report


def _by_month(
    surveys: QuerySet[SatisfactionSurvey], filters: ReportFilters
) -> list[SatisfactionRow]:
    """A row for each month of the fiscal year, April to March, in one query."""
    months = {month: SatisfactionRow(key=f"{month:%Y-%m}") for month in filters.months()}
    for values in (
        surveys.annotate(month=TruncMonth("sent_at"))
        .order_by()
        .values("month")
        .annotate(**_figures())
    ):
        month = _month_key(values["month"])
        months[month] = SatisfactionRow.of(values, key=f"{month:%Y-%m}")
    return list(months.values())


def satisfaction_by_month(
    *, user: User, fiscal_year: int, desk: Desk | None = None
) -> tuple[list[SatisfactionRow], SatisfactionRow]:
    """The survey figures of each month of a fiscal year (April to March) and of the year, for
    the desks `user` reads, narrowed to `desk`: one query (the funder packs)."""
    filters = ReportFilters(fiscal_year=fiscal_year, desk=desk)
    months = _by_month(report_surveys(user=user, filters=filters), filters)
    year = SatisfactionRow()
    for row in months:
        year.add(row)
    return months, year


def _comments(surveys: QuerySet[SatisfactionSurvey], page: int | None) -> tuple[Page, int]:
    """The answers with a comment, newest first, 50 a page (its count and its rows), and how
    many of cases restricted since are not shown (1)."""
    written = surveys.filter(answered_at__isnull=False).exclude(comment="")
    restricted = Q(
        case_id__in=Case.objects.filter(confidentiality=Confidentiality.RESTRICTED).values("pk")
    )
    shown = (
        written.exclude(restricted)
        .select_related("desk", "counselor")
        .order_by("-answered_at", "-pk")
    )
    paged = Paginator(shown, COMMENTS_PER_PAGE).get_page(page)
    labels = dict(SurveyScore.choices)
    paged.object_list = [
        SatisfactionComment(
            answered_on=timezone.localdate(survey.answered_at),
            desk=survey.desk.name,
            counselor=str(survey.counselor) if survey.counselor_id else "—",
            score=survey.score,
            score_label=str(labels[survey.score]),
            comment=survey.comment,
        )
        for survey in paged.object_list
    ]
    return paged, written.filter(restricted).count()


def satisfaction_summary(
    *,
    user: User,
    fiscal_year: int,
    month: int | None = None,
    desk: Desk | None = None,
    counselor: User | None = None,
) -> SatisfactionSummary:
    """The survey figures of a fiscal year — or of one of its months (`month` 1–12: April to
    December in `fiscal_year`, January to March in the next calendar year) — for the desks
    `user` reads, narrowed to `desk` and `counselor`: `sent`, `answered`, `response_rate`,
    `mean_score`, `distribution` ({5: n, …, 1: n}). One query. A survey counts in the period
    it was sent in."""
    filters = ReportFilters(fiscal_year=fiscal_year, desk=desk, counselor=counselor)
    surveys = report_surveys(user=user, filters=filters)
    if month is not None:
        if not 1 <= month <= 12:
            raise ValueError(f"month must be 1–12, not {month}")
        first_day, _last_day = fiscal_year_bounds(fiscal_year)
        year = first_day.year if month >= 4 else first_day.year + 1
        starts = dt.date(year, month, 1)
        ends = dt.date(year + month // 12, month % 12 + 1, 1)
        surveys = surveys.filter(sent_at__gte=start_of_day(starts), sent_at__lt=start_of_day(ends))
    return SatisfactionRow.of(surveys.aggregate(**_figures()))
