from __future__ import annotations

import ast
import datetime as dt
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import translation

from casebook import reports
from casebook.common.errors import ActionNotPermitted
from casebook.common.extensions import PlanMetric, PlanMetrics, registry
from casebook.experts.models import DispatchVisit
from casebook.intake.models import IpDetails
from casebook.reports import metrics, selectors, services
from casebook.reports.models import Activity, PlanTarget
from casebook.reports.plan_fy2021 import FY2021_TARGETS
from casebook.reports.selectors.plan import elapsed_share
from tests.factories import (
    CaseFactory,
    DispatchFactory,
    OfficeFactory,
    ProgramFactory,
    SubQuotaFactory,
    desk,
)
from tests.reports.conftest import at


def load(fiscal_year: int = 2021) -> str:
    out = StringIO()
    call_command("load_plan_targets", "--fiscal-year", str(fiscal_year), stdout=out)
    return out.getvalue()


def test_the_command_loads_the_fy2021_plan_once(db):
    first = load()
    second = load()

    targets = dict(PlanTarget.objects.filter(fiscal_year=2021).values_list("metric", "target"))
    assert len(targets) == len(FY2021_TARGETS) == 24
    assert targets["dispatch_days.expert"] == 800
    assert targets["dispatch_days.expert.covid"] == 40
    assert targets["dispatch_days.innovation_follow_up"] == 50
    assert targets["satellites"] == 10
    assert targets["activities.open_patent_registration"] == 100
    assert targets["activities.newsletter"] == 48
    assert targets["foreign_filings.patent"] == 5
    assert "24 created, 0 changed" in first
    assert "0 created, 0 changed, 24 unchanged" in second


def test_every_target_of_the_plan_names_a_known_metric():
    assert {metric for metric, _target, _source in FY2021_TARGETS} <= set(metrics.known())


def test_an_unknown_metric_refuses_the_whole_list(db):
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.plan_targets_load(
            fiscal_year=2030,
            targets=[("satellites", Decimal(3), ""), ("visitors", Decimal(5), "")],
            by=None,
        )

    assert "line 2" in str(refused.value)
    assert not PlanTarget.objects.filter(fiscal_year=2030).exists()


def test_only_a_manager_keeps_the_plan(cast):
    with pytest.raises(ActionNotPermitted):
        services.plan_targets_load(
            fiscal_year=2030, targets=[("satellites", Decimal(3), "")], by=cast.coordinator
        )
    services.plan_targets_load(
        fiscal_year=2030, targets=[("satellites", Decimal(3), "")], by=cast.manager
    )
    assert PlanTarget.objects.get(fiscal_year=2030).history.first().history_user == cast.manager


def visit(dispatch, day: dt.date, fraction: str) -> None:
    DispatchVisit.objects.create(
        dispatch=dispatch, expert=dispatch.expert, date=day, day_fraction=Decimal(fraction)
    )


def test_the_actuals_are_read_from_the_records_of_the_year(cast):
    load()
    expert = ProgramFactory(fiscal_year=2021, code="expert")
    covid = SubQuotaFactory(program=expert, code="covid")
    follow_up = ProgramFactory(fiscal_year=2021, code="innovation_follow_up")
    plain = DispatchFactory(program=expert, status="scheduled")
    free = DispatchFactory(program=expert, sub_quota=covid, status="scheduled")
    visit(plain, dt.date(2021, 4, 1), "1.0")
    visit(plain, dt.date(2022, 3, 31), "0.5")
    visit(free, dt.date(2021, 10, 1), "1.0")
    visit(DispatchFactory(program=follow_up, status="scheduled"), dt.date(2021, 6, 1), "1.0")
    visit(plain, dt.date(2022, 4, 1), "1.0")  # FY2022
    for code, active_from in (("s1", dt.date(2020, 1, 1)), ("s2", dt.date(2022, 1, 1))):
        OfficeFactory(code=code, active_from=active_from)
    OfficeFactory(code="s3", active_from=dt.date(2022, 4, 1))  # opens after the year
    OfficeFactory(code="hq", kind="head")
    for day in (dt.date(2021, 5, 1), dt.date(2022, 3, 31), dt.date(2022, 4, 1)):
        Activity.objects.create(
            kind="partner_training", desk=desk("yorozu"), title="研修会", held_on=day,
            created_by=cast.manager,
        )  # fmt: skip
    ip_case = CaseFactory(desk=desk("ip"), opened_at=at(2021, 7, 1), fiscal_year=2021)
    IpDetails.objects.create(
        case=ip_case, rights_sought=["patent", "trademark"], foreign_filing_countries=["US"]
    )
    domestic = CaseFactory(desk=desk("ip"), opened_at=at(2021, 7, 1), fiscal_year=2021)
    IpDetails.objects.create(case=domestic, rights_sought=["patent"])

    report = selectors.plan_report(user=cast.manager, fiscal_year=2021)

    actual = {row.metric: row.actual for row in report.rows}
    assert actual["dispatch_days.expert"] == Decimal("2.5")
    assert actual["dispatch_days.expert.covid"] == Decimal("1.0")
    assert actual["dispatch_days.innovation_follow_up"] == Decimal("1.0")
    assert actual["satellites"] == 2
    assert actual["activities.partner_training"] == 2
    assert actual["foreign_filings.patent"] == 1
    assert actual["foreign_filings.trademark"] == 1
    assert actual["activities.newsletter"] == 0


def test_a_past_year_is_judged_on_its_whole_target(cast):
    load()
    report = selectors.plan_report(user=cast.manager, fiscal_year=2021)

    assert report.elapsed == 1
    satellites = next(row for row in report.rows if row.metric == "satellites")
    assert satellites.expected_by_now == 10
    assert satellites.status == "behind"
    assert satellites.percent == 0


def test_a_metric_an_app_registers_is_known_and_read_with_the_others(db, monkeypatch):
    contributed = PlanMetrics(
        key="visits_abroad",
        metrics=(PlanMetric("visits_abroad", "visits abroad", "times"),),
        actuals=lambda fiscal_year: {"visits_abroad": 3 if fiscal_year == 2021 else 0},
    )
    monkeypatch.setitem(registry.plan_metrics, contributed.key, contributed)

    assert metrics.known()["visits_abroad"].label == "visits abroad"
    assert metrics.actuals(2021)["visits_abroad"] == 3
    services.plan_targets_load(
        fiscal_year=2021, targets=[("visits_abroad", Decimal(6), "plan p.1")], by=None
    )


def test_the_reports_never_import_the_experts_app():
    """The dispatch days reach the plan through the registry (docs/architecture.md,
    "Extension points"), not by importing the experts app."""
    imported = set()
    for path in Path(reports.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)

    assert not {name for name in imported if name.startswith("casebook.experts")}


def test_the_pace_expects_the_share_of_the_year_gone_by():
    assert elapsed_share(2026, dt.date(2026, 3, 31)) == 0
    assert elapsed_share(2026, dt.date(2026, 4, 1)) == Decimal("0.0027")  # 1 day of 365
    assert elapsed_share(2026, dt.date(2026, 9, 30)) == Decimal("0.5014")
    assert elapsed_share(2026, dt.date(2027, 3, 31)) == 1


def test_the_demo_carries_the_plan_over_as_this_years(db):
    from casebook.common.demo import DemoContext
    from casebook.reports import demo

    demo.seed(DemoContext(password="x", today=dt.date(2026, 12, 4)))

    assert PlanTarget.objects.filter(fiscal_year=2026).count() == len(FY2021_TARGETS)
    assert PlanTarget.objects.get(fiscal_year=2026, metric="dispatch_days.expert").target == 800
