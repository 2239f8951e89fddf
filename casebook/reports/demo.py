"""Demo data of the reports: the FY2021 plan's targets, carried over as this year's plan."""

from __future__ import annotations

from casebook.common.demo import DemoContext
from casebook.common.fiscal import fiscal_year_of
from casebook.reports.plan_fy2021 import FY2021_TARGETS, PLAN_FISCAL_YEAR
from casebook.reports.services import plan_targets_carry_over, plan_targets_load


def seed(ctx: DemoContext) -> None:
    plan_targets_load(fiscal_year=PLAN_FISCAL_YEAR, targets=FY2021_TARGETS, by=None)
    this_year = fiscal_year_of(ctx.today)
    if this_year != PLAN_FISCAL_YEAR:
        plan_targets_carry_over(from_year=PLAN_FISCAL_YEAR, to_year=this_year, by=None)
    ctx.log(f"plan: the FY{PLAN_FISCAL_YEAR} targets, also as FY{this_year}'s plan")
