"""`manage.py load_plan_targets`: the FY2021 business plan's targets as plan targets (again
and again: a second run changes nothing), or carried over to another fiscal year."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from casebook.reports.plan_fy2021 import FY2021_TARGETS, PLAN_FISCAL_YEAR
from casebook.reports.services import plan_targets_load


class Command(BaseCommand):
    help = "Load the targets of the FY2021 business plan (optionally as another year's plan)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--fiscal-year",
            type=int,
            default=PLAN_FISCAL_YEAR,
            help="the fiscal year the targets are loaded for (default: 2021, the plan's own)",
        )

    def handle(self, *args: object, **options: object) -> None:
        fiscal_year = options["fiscal_year"]
        try:
            created, changed = plan_targets_load(
                fiscal_year=fiscal_year, targets=FY2021_TARGETS, by=None
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(
            f"FY{fiscal_year}: {len(FY2021_TARGETS)} targets, {created} created, "
            f"{changed} changed, {len(FY2021_TARGETS) - created - changed} unchanged"
        )
