"""The exit track's figures for the reports (DESIGN §11: exit track by path and stage),
registered in `ExitsConfig.ready()` as a report section (docs/reports.md, "Operations").

Counts only: the plans are of restricted cases, which a report counts and never names. A
desk's coordinators read the plans of their desks' cases (by the case's desk)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casebook.common.extensions import ReportSection, ReportTable
from casebook.exits.models import ExitOutcome, ExitPath, ExitPlan, ExitStage

if TYPE_CHECKING:
    from casebook.common.extensions import Registry, ReportScope


def _plans(scope: ReportScope) -> QuerySet[ExitPlan]:
    plans = ExitPlan.objects.all()
    if scope.desk_ids is not None:
        plans = plans.filter(case__desk_id__in=scope.desk_ids)
    return plans


def _grid(key: str, title: str, counts: dict[tuple[str, str], int], columns: type) -> ReportTable:
    """Paths down, `columns` (a TextChoices) across, with a total column and a total row."""
    rows = []
    for path in ExitPath:
        values = [counts.get((path.value, column.value), 0) for column in columns]
        rows.append((str(path.label), *values, sum(values)))
    totals = [sum(row[i] for row in rows) for i in range(1, len(columns) + 2)]
    return ReportTable(
        key=key,
        title=title,
        columns=(
            ("path", _("path")),
            *((column.value, str(column.label)) for column in columns),
            ("total", _("total")),
        ),
        rows=tuple(rows),
        chart="total",
        total=(_("total"), *totals),
    )


def exit_tables(scope: ReportScope) -> Sequence[ReportTable]:
    """The plans started in the year by path and their stage now, and the outcomes reached
    in the year by path (2 queries)."""
    started = {
        (row["path"], row["stage"]): row["n"]
        for row in _plans(scope)
        .filter(started_on__gte=scope.first_day, started_on__lte=scope.last_day)
        .order_by()
        .values("path", "stage")
        .annotate(n=Count("pk"))
    }
    reached = {
        (row["path"], row["outcome"]): row["n"]
        for row in _plans(scope)
        .filter(outcome_on__gte=scope.first_day, outcome_on__lte=scope.last_day)
        .exclude(outcome="")
        .order_by()
        .values("path", "outcome")
        .annotate(n=Count("pk"))
    }
    return [
        _grid(
            "exit_plans_by_path_and_stage",
            _("Exit plans started in the year, by path and stage"),
            started,
            ExitStage,
        ),
        _grid(
            "exit_outcomes_by_path",
            _("Exit outcomes reached in the year, by path"),
            reached,
            ExitOutcome,
        ),
    ]


def register(registry: Registry) -> None:
    registry.add_report_section(
        ReportSection(key="exits", title=gettext_lazy("Exit track"), tables=exit_tables, order=30)
    )
