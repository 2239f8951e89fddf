"""The funder packs (docs/reports.md, "Funder packs"): the figures the よろず支援拠点 and the
IP desk (知財総合支援窓口) report to their funders, month by month over a fiscal year, from
the raw records. The page, the XLSX and the API all draw one `FunderPack`.

- よろず: the consultation count and new clients — the desk's figures of the KPI report, so
  the two agree — visitors (来訪相談者数), and the satisfaction survey (`satisfaction_summary`).
- IP: the consultation count, by mode and by topic, the expert dispatches other apps add
  (`FunderFigure`), the foreign filings supported (the plan's metric, by month) and the IP
  activities the plan counts.

Restricted cases are counted like any other; a pack names no case and no client.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Count, F, QuerySet
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from casebook.accounts.models import Desk
from casebook.common.extensions import ReportScope, registry
from casebook.common.fiscal import fiscal_year_label, wareki_fiscal_year
from casebook.intake.models import Case, ConsultationSession, IpRight, SessionMode, Topic
from casebook.reports import policy
from casebook.reports.models import Activity, ActivityKind
from casebook.reports.selectors.consultations import _month_key, consultation_report
from casebook.reports.selectors.filters import ReportFilters
from casebook.reports.selectors.satisfaction import SatisfactionRow, satisfaction_by_month

if TYPE_CHECKING:
    from casebook.accounts.models import User

YOROZU = "yorozu"
IP = "ip"
PACKS = (YOROZU, IP)

# 来訪: the client came to us — to the head office or to a satellite office.
VISIT_MODES = (SessionMode.IN_PERSON_HQ, SessionMode.IN_PERSON_SATELLITE)
IP_TOPICS = ("ip_patent", "ip_trademark", "ip_design")
IP_ACTIVITIES = (
    ActivityKind.OPEN_PATENT_REGISTRATION,
    ActivityKind.PATENT_BROKERAGE,
    ActivityKind.SEEDS_PRESENTATION,
    ActivityKind.SEEDS_REVIEW,
)

Number = int | float


def _number(value: Any) -> Number:
    """A figure as the pack writes it: a whole number as an int, days as 1.5."""
    if value is None:
        return 0
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


@dataclass
class FunderRow:
    key: str
    label: str
    months: list[Any]  # April to March
    total: Any  # None: a figure that does not add up over months (a mean)
    group: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "group": self.group,
            "months": self.months,
            "total": self.total,
        }


@dataclass
class FunderPack:
    pack: str
    title: str
    fiscal_year: int
    organisation: str
    months: list[dt.date]
    rows: list[FunderRow] = field(default_factory=list)

    @property
    def label(self) -> str:
        return fiscal_year_label(self.fiscal_year)

    @property
    def wareki(self) -> str:
        return wareki_fiscal_year(self.fiscal_year)

    @property
    def month_labels(self) -> list[str]:
        return [f"{month.month}月" for month in self.months]

    def row(self, key: str) -> FunderRow | None:
        return next((row for row in self.rows if row.key == key), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "pack": self.pack,
            "title": self.title,
            "organisation": self.organisation,
            "fiscal_year": self.fiscal_year,
            "fiscal_year_label": self.label,
            "months": [month.strftime("%Y-%m") for month in self.months],
            "rows": [row.as_dict() for row in self.rows],
        }


def _row(
    key: str, label: str, months: list[dt.date], values: dict[dt.date, Any], group: str = ""
) -> FunderRow:
    numbers = [_number(values.get(month, 0)) for month in months]
    return FunderRow(key=key, label=label, months=numbers, total=_number(sum(numbers)), group=group)


def _empty(pack: str, title: str, fiscal_year: int) -> FunderPack:
    return FunderPack(
        pack=pack,
        title=title,
        fiscal_year=fiscal_year,
        organisation=settings.CASEBOOK_ORGANISATION,
        months=ReportFilters(fiscal_year).months(),
    )


def _desk_sessions(filters: ReportFilters, desk: Desk | None) -> QuerySet[ConsultationSession]:
    """The sessions of the year on the cases of `desk` (none when the desk does not exist)."""
    sessions = ConsultationSession.objects.filter(
        started_at__gte=filters.starts, started_at__lt=filters.ends
    )
    return sessions.filter(desk_id=desk.pk) if desk else sessions.none()


def _visitors(filters: ReportFilters, desk: Desk | None) -> dict[dt.date, int]:
    """来訪相談者数 by month: the distinct clients with an in-person session (head office or
    satellite) in the month. 1 query."""
    rows = (
        _desk_sessions(filters, desk)
        .filter(mode__in=VISIT_MODES, client__isnull=False)
        .annotate(month=TruncMonth("started_at"))
        .order_by()
        .values("month")
        .annotate(n=Count("client_id", distinct=True))
    )
    return {_month_key(row["month"]): row["n"] for row in rows}


def _mean(row: SatisfactionRow) -> float | None:
    value = row.mean_score
    return None if value is None else round(float(value), 2)


def satisfaction_rows(
    *, user: User, fiscal_year: int, desk: Desk | None, months: list[dt.date]
) -> list[FunderRow]:
    """The survey's figures by month — surveys sent, answered, the mean score — from the
    survey's own selector (docs/reports.md, "Satisfaction survey"), in one query; none when
    the desk does not exist."""
    if desk is None:
        return []
    month_rows, year = satisfaction_by_month(user=user, fiscal_year=fiscal_year, desk=desk)
    by_key = {row.key: row for row in month_rows}
    by_month = [by_key[f"{month:%Y-%m}"] for month in months]
    group = _("Satisfaction survey")
    rows = [
        FunderRow(
            key=f"satisfaction_{key}",
            label=label,
            months=[_number(getattr(row, key)) for row in by_month],
            total=_number(getattr(year, key)),
            group=group,
        )
        for key, label in (("sent", _("surveys sent")), ("answered", _("surveys answered")))
    ]
    rows.append(
        FunderRow(
            key="satisfaction_mean",
            label=_("mean score (of 5)"),
            months=[_mean(row) for row in by_month],
            total=_mean(year),
            group=group,
        )
    )
    return rows


def yorozu_pack(*, user: User, fiscal_year: int) -> FunderPack:
    """The よろず支援拠点's monthly figures; managers and auditors. The consultation count and
    new clients are the KPI report's for the desk (8 queries), visitors 1 more, the survey
    what its app costs."""
    policy.require_org_reader(user)
    desk = Desk.objects.filter(code=YOROZU).first()
    pack = _empty(YOROZU, _("よろず支援拠点 monthly figures"), fiscal_year)
    filters = ReportFilters(fiscal_year, desk=desk)
    consultations: dict[dt.date, int] = {}
    new_clients: dict[dt.date, int] = {}
    if desk is not None:
        kpis = consultation_report(user=user, filters=filters)
        consultations = {row.month: row.total for row in kpis.by_month}
        new_clients = {row.month: row.new_clients for row in kpis.by_month}
    months = pack.months
    pack.rows = [
        _row("consultations", _("consultation count (相談対応件数)"), months, consultations),
        _row("visitors", _("visitors (来訪相談者数)"), months, _visitors(filters, desk)),
        _row("new_clients", _("new clients"), months, new_clients),
        *satisfaction_rows(user=user, fiscal_year=fiscal_year, desk=desk, months=months),
    ]
    return pack


def _by_month(sessions: QuerySet[ConsultationSession], key: str) -> dict[str, dict[dt.date, int]]:
    rows = (
        sessions.annotate(month=TruncMonth("started_at"))
        .order_by()
        .values("month", group=F(key))
        .annotate(n=Count("id", distinct=True))
    )
    grouped: dict[str, dict[dt.date, int]] = {}
    for row in rows:
        grouped.setdefault(row["group"] or "", {})[_month_key(row["month"])] = row["n"]
    return grouped


def _foreign_filings(filters: ReportFilters) -> dict[str, dict[dt.date, int]]:
    """The IP cases opened in each month whose details name a country for foreign filing, per
    right sought: the plan's `foreign_filings.<right>` (reports/metrics.py), by month."""
    rows = Case.objects.filter(
        opened_at__gte=filters.starts, opened_at__lt=filters.ends, ip__isnull=False
    ).values_list("opened_at", "ip__rights_sought", "ip__foreign_filing_countries")
    counts: dict[str, dict[dt.date, int]] = {}
    for opened_at, rights, countries in rows:
        if not countries:
            continue
        month = _month_key(opened_at)
        for right in rights or []:
            by_month = counts.setdefault(right, {})
            by_month[month] = by_month.get(month, 0) + 1
    return counts


def _ip_activities(filters: ReportFilters) -> dict[str, dict[dt.date, int]]:
    rows = (
        Activity.objects.filter(
            held_on__gte=filters.first_day, held_on__lte=filters.last_day, kind__in=IP_ACTIVITIES
        )
        .annotate(month=TruncMonth("held_on"))
        .order_by()
        .values("month", "kind")
        .annotate(n=Count("id"))
    )
    by_kind: dict[str, dict[dt.date, int]] = {}
    for row in rows:
        by_kind.setdefault(row["kind"], {})[_month_key(row["month"])] = row["n"]
    return by_kind


def ip_pack(*, user: User, fiscal_year: int) -> FunderPack:
    """The IP desk's monthly figures; managers and auditors. 6 queries, and those of the
    figures other apps add (the expert dispatches: 8)."""
    policy.require_org_reader(user)
    desk = Desk.objects.filter(code=IP).first()
    pack = _empty(IP, _("知財総合支援窓口 monthly figures"), fiscal_year)
    filters = ReportFilters(fiscal_year)
    months = pack.months
    sessions = _desk_sessions(filters, desk)
    by_mode = _by_month(sessions, "mode")
    total: dict[dt.date, int] = {}
    for values in by_mode.values():
        for month, n in values.items():
            total[month] = total.get(month, 0) + n
    rows = [_row("consultations", _("consultation count (相談対応件数)"), months, total)]
    group = _("by mode")
    rows += [
        _row(f"mode.{mode.value}", str(mode.label), months, by_mode.get(mode.value, {}), group)
        for mode in SessionMode
    ]
    by_topic = _by_month(sessions.filter(topics__code__in=IP_TOPICS), "topics__code")
    names = dict(Topic.objects.filter(code__in=IP_TOPICS).values_list("code", "name"))
    group = _("by topic")
    rows += [
        _row(f"topic.{code}", names.get(code, code), months, by_topic.get(code, {}), group)
        for code in IP_TOPICS
    ]
    scope = ReportScope(
        fiscal_year=fiscal_year,
        first_day=filters.first_day,
        last_day=filters.last_day,
        desk_ids=frozenset({desk.pk}) if desk else frozenset(),
    )
    group = _("expert dispatch")
    rows += [
        _row(figure.key, str(figure.label), months, dict(figure.monthly(scope)), group)
        for figure in registry.funder_figures_of(IP)
    ]
    filings = _foreign_filings(filters)
    group = _("foreign filings supported")
    rows += [
        _row(f"foreign_filings.{r.value}", str(r.label), months, filings.get(r, {}), group)
        for r in IpRight
    ]
    activities = _ip_activities(filters)
    group = _("open patents and technology seeds")
    rows += [
        _row(f"activities.{kind.value}", str(kind.label), months, activities.get(kind, {}), group)
        for kind in IP_ACTIVITIES
    ]
    pack.rows = rows
    return pack


def funder_pack(*, user: User, pack: str, fiscal_year: int) -> FunderPack:
    """The pack named `pack` (`yorozu` or `ip`) of the fiscal year."""
    return (yorozu_pack if pack == YOROZU else ip_pack)(user=user, fiscal_year=fiscal_year)
