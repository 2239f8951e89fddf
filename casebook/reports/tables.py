"""Each report as tables: the rows of its CSV and the sheets of its XLSX, the same numbers as
its page and its API (docs/reports.md, "Exports")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from operator import attrgetter
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from casebook.common.exports import Column, Sheet
from casebook.common.fiscal import wareki_date
from casebook.intake.models import SessionMode
from casebook.reports.selectors.cases import CaseReport
from casebook.reports.selectors.consultations import ConsultationReport
from casebook.reports.selectors.funders import FunderPack
from casebook.reports.selectors.operations import OperationsReport
from casebook.reports.selectors.outcomes import OutcomeReport
from casebook.reports.selectors.plan import PlanReport
from casebook.reports.selectors.satisfaction import SCORES, SatisfactionReport, SatisfactionRow

BREAKDOWNS = ("by_desk", "by_office", "by_mode", "by_topic", "by_counselor")


def _breakdown_titles() -> dict[str, str]:
    return {
        "by_desk": _("by desk"),
        "by_office": _("by office"),
        "by_mode": _("by mode"),
        "by_topic": _("by topic"),
        "by_counselor": _("by counselor"),
    }


def _month_label(month: Any) -> str:
    return f"{month:%Y-%m}（{wareki_date(month).rsplit('月', 1)[0]}月）"


def consultation_header() -> list[str]:
    return [
        _("fiscal year"),
        _("breakdown"),
        _("key"),
        _("label"),
        _("consultation count"),
        _("unique clients"),
        _("new clients"),
    ]


def consultation_rows(report: ConsultationReport) -> Iterator[list[Any]]:
    fy = report.filters.label
    yield [fy, _("total"), "", "", report.total, report.unique_clients, report.new_clients]
    for row in report.by_month:
        yield [
            fy,
            _("by month"),
            f"{row.month:%Y-%m}",
            _month_label(row.month),
            row.total,
            row.unique_clients,
            row.new_clients,
        ]
    titles = _breakdown_titles()
    for name in BREAKDOWNS:
        for row in getattr(report, name):
            yield [fy, titles[name], row.key, row.label, row.total, row.unique_clients, ""]


def consultation_sheets(report: ConsultationReport) -> list[Sheet]:
    count_header = [_("key"), _("label"), _("consultation count"), _("unique clients")]
    titles = _breakdown_titles()
    sheets: list[Sheet] = [
        (
            _("by month"),
            [_("month"), _("consultation count"), _("unique clients"), _("new clients")],
            [
                [_month_label(r.month), r.total, r.unique_clients, r.new_clients]
                for r in report.by_month
            ]
            + [[_("total"), report.total, report.unique_clients, report.new_clients]],
        )
    ]
    for name in BREAKDOWNS:
        rows = [[r.key, r.label, r.total, r.unique_clients] for r in getattr(report, name)]
        sheets.append((titles[name], count_header, rows))
    return sheets


def case_header() -> list[str]:
    return [_("fiscal year"), _("figure"), _("key"), _("label"), _("value")]


def case_rows(report: CaseReport) -> Iterator[list[Any]]:
    fy = report.filters.label
    yield [fy, _("cases opened"), "", "", report.opened]
    yield [fy, _("cases closed"), "", "", report.closed]
    for row in report.by_month:
        month = f"{row.month:%Y-%m}"
        yield [fy, _("cases opened"), month, _month_label(row.month), row.opened]
        yield [fy, _("cases closed"), month, _month_label(row.month), row.closed]
    for key, label, count in report.closed_by_reason:
        yield [fy, _("closed by reason"), key, label, count]
    yield [
        fy,
        _("median days from intake to the first session"),
        "",
        "",
        report.median_days_to_first_session,
    ]
    for key, label, count in report.aging:
        yield [
            fy,
            _("open cases by age (days) on %(day)s") % {"day": report.as_of},
            key,
            label,
            count,
        ]


def case_sheets(report: CaseReport) -> list[Sheet]:
    return [
        (
            _("by month"),
            [_("month"), _("cases opened"), _("cases closed")],
            [[_month_label(r.month), r.opened, r.closed] for r in report.by_month]
            + [[_("total"), report.opened, report.closed]],
        ),
        (
            _("closed by reason"),
            [_("reason"), _("label"), _("cases closed")],
            [list(row) for row in report.closed_by_reason],
        ),
        (
            _("open cases by age"),
            [_("days"), _("label"), _("open cases")],
            [list(row) for row in report.aging],
        ),
        (
            _("first session"),
            [_("median days from intake to the first session"), _("cases")],
            [[report.median_days_to_first_session, report.cases_with_first_session]],
        ),
    ]


def plan_header() -> list[str]:
    return [
        _("fiscal year"),
        _("metric"),
        _("label"),
        _("unit"),
        _("target"),
        _("actual"),
        _("expected by now"),
        _("achieved (%)"),
        _("pace"),
        _("source in the plan"),
    ]


def _pace_label(status: str) -> str:
    return _("on track") if status == "on_track" else _("behind")


def plan_rows(report: PlanReport) -> Iterator[list[Any]]:
    for row in report.rows:
        yield [
            report.label,
            row.metric,
            row.label,
            row.unit,
            row.target,
            row.actual,
            row.expected_by_now,
            row.percent,
            _pace_label(row.status),
            row.source,
        ]


def plan_sheets(report: PlanReport) -> list[Sheet]:
    return [(_("plan vs actual"), plan_header(), list(plan_rows(report)))]


def _figure_titles() -> dict[str, str]:
    return {
        "sales": _("sales (yen)"),
        "employees": _("employees"),
        "value_added": _("value added (yen)"),
    }


def outcome_header() -> list[str]:
    return [_("fiscal year"), _("figure"), _("key"), _("label"), _("value")]


def outcome_rows(report: OutcomeReport) -> Iterator[list[Any]]:
    """The aggregate only: an export names no client (docs/reports.md, "Outcomes")."""
    fy = report.filters.label
    yield [fy, _("reports"), "", "", report.reports]
    yield [fy, _("clients"), "", "", report.clients]
    titles = _figure_titles()
    for row in report.aggregate:
        yield [fy, _("clients compared"), row.key, titles[row.key], row.clients]
        yield [fy, _("first reported"), row.key, titles[row.key], row.first]
        yield [fy, _("latest in the year"), row.key, titles[row.key], row.last]
        yield [fy, _("change"), row.key, titles[row.key], row.change]
        yield [fy, _("change (%)"), row.key, titles[row.key], row.percent]
    yield [fy, _("new customers"), "", "", report.new_customers]
    for key, label in _fact_titles().items():
        yield [fy, _("clients reporting"), key, label, report.facts.get(key, 0)]
    for key, label, count in report.business:
        yield [fy, _("clients reporting"), key, label, count]


def _fact_titles() -> dict[str, str]:
    return {
        "patent_filed": _("patent filed"),
        "trademark_filed": _("trademark filed"),
        "export_started": _("export started"),
    }


def outcome_sheets(report: OutcomeReport) -> list[Sheet]:
    titles = _figure_titles()
    return [
        (
            _("change"),
            [
                _("figure"),
                _("clients compared"),
                _("first reported"),
                _("latest in the year"),
                _("change"),
                _("change (%)"),
            ],
            [
                [titles[r.key], r.clients, r.first, r.last, r.change, r.percent]
                for r in report.aggregate
            ],
        ),
        (
            _("reported"),
            [_("key"), _("label"), _("value")],
            [["reports", _("reports"), report.reports], ["clients", _("clients"), report.clients]]
            + [["new_customers", _("new customers"), report.new_customers]]
            + [[key, label, report.facts.get(key, 0)] for key, label in _fact_titles().items()]
            + [[key, label, count] for key, label, count in report.business],
        ),
    ]


def operations_header() -> list[str]:
    return [_("fiscal year"), _("section"), _("table"), _("row"), _("column"), _("value")]


def operations_rows(report: OperationsReport) -> Iterator[list[Any]]:
    """One line per cell, so that every section's tables share one layout."""
    fy = report.filters.label
    for section, tables in report.sections:
        for table in tables:
            lines = [*table.rows, *((table.total,) if table.total else ())]
            for line in lines:
                for (_key, label), value in zip(table.columns[1:], line[1:], strict=True):
                    yield [fy, str(section.title), table.title, line[0], label, value]


def operations_sheets(report: OperationsReport) -> list[Sheet]:
    """One sheet per table, as the page shows it."""
    return [
        (
            table.title[:31],
            [label for _key, label in table.columns],
            [list(row) for row in table.rows] + ([list(table.total)] if table.total else []),
        )
        for _section, tables in report.sections
        for table in tables
    ]


def funder_preamble(pack: FunderPack) -> list[list[Any]]:
    """The lines above a funder pack's table: its title, the organisation, the fiscal year in
    和暦 and 西暦 (docs/reports.md, "Funder packs")."""
    return [
        [pack.title],
        [pack.organisation],
        [f"{pack.wareki}（{pack.fiscal_year}年度）"],
    ]


def funder_header(pack: FunderPack) -> list[str]:
    return [_("figure"), *pack.month_labels, _("total")]


def funder_rows(pack: FunderPack) -> Iterator[list[Any]]:
    """A line per figure, months April to March then the total; each group of figures under
    a line naming it."""
    group = ""
    for row in pack.rows:
        if row.group and row.group != group:
            yield [row.group]
        group = row.group
        label = f"  {row.label}" if row.group else row.label
        yield [label, *row.months, row.total]


# --- the satisfaction survey ------------------------------------------------------------------


def _score_titles() -> list[str]:
    from casebook.reports.models import SurveyScore

    labels = dict(SurveyScore.choices)
    return [f"{score} {labels[score]}" for score in SCORES]


def _satisfaction_columns() -> list[str]:
    return [
        _("sent"),
        _("answered"),
        _("response rate (%)"),
        _("mean score"),
        *_score_titles(),
    ]


def _satisfaction_cells(row: SatisfactionRow) -> list[Any]:
    return [
        row.sent,
        row.answered,
        row.response_rate,
        row.mean_score,
        *(row.distribution[score] for score in SCORES),
    ]


def satisfaction_header() -> list[str]:
    return [_("fiscal year"), _("breakdown"), _("key"), _("label"), *_satisfaction_columns()]


def _satisfaction_groups(
    report: SatisfactionReport,
) -> list[tuple[str, list[tuple[str, str, SatisfactionRow]]]]:
    """(title, [(key, label, row)]) of each breakdown; a month is labelled as elsewhere."""
    return [
        (_("total"), [("", _("total"), report.total)]),
        (
            _("by month"),
            [
                (row.key, _month_label(dt.date.fromisoformat(f"{row.key}-01")), row)
                for row in report.by_month
            ],
        ),
        (_("by desk"), [(row.key, row.label, row) for row in report.by_desk]),
        (_("by counselor"), [(row.key, row.label, row) for row in report.by_counselor]),
    ]


def satisfaction_rows(report: SatisfactionReport) -> Iterator[list[Any]]:
    """The figures only: an export carries no comment and names no case."""
    fy = report.filters.label
    for title, rows in _satisfaction_groups(report):
        for key, label, row in rows:
            yield [fy, title, key, label, *_satisfaction_cells(row)]


def satisfaction_sheets(report: SatisfactionReport) -> list[Sheet]:
    return [
        (
            title,
            [_("label"), *_satisfaction_columns()],
            [[label, *_satisfaction_cells(row)] for _key, label, row in rows],
        )
        for title, rows in _satisfaction_groups(report)
    ]


# --- the session export -------------------------------------------------------------------


def session_columns() -> list[Column]:
    """The columns of `/reports/sessions.csv|xlsx`, one row per session; a restricted case's
    row comes blank where it would name the case (`selectors.session_export_rows`).

    What is the same for every row is worked out once here, not once per row: the reader's
    time zone, the modes' and the restricted mark's translations (docs/performance.md, "The
    session export")."""
    zone = timezone.get_current_timezone()
    modes = {value: str(label) for value, label in SessionMode.choices}
    unnamed = _("restricted: not named")
    return [
        # `YYYY-MM-DD HH:MM`, as `%Y-%m-%d %H:%M` writes it, in half the time of strftime.
        (_("started at"), lambda r: r.started_at.astimezone(zone).isoformat(" ", "minutes")[:16]),
        (_("desk"), attrgetter("desk")),
        (_("office"), attrgetter("office")),
        (_("mode"), lambda r: modes.get(r.mode, r.mode)),
        (_("duration (minutes)"), attrgetter("minutes")),
        (_("restricted case"), lambda r: unnamed if r.restricted else ""),
        (_("case number"), attrgetter("case_number")),
        (_("title"), attrgetter("case_title")),
        (_("client"), attrgetter("client")),
        (_("counselors"), lambda r: "、".join(r.counselors)),
        (_("topics"), lambda r: "、".join(r.topics)),
        (_("summary"), attrgetter("summary")),
    ]
