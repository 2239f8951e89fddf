"""`manage.py generate_satellite_days --from 2027-04-01 --to 2028-03-31 --by USERNAME`.

Creates the satellite offices' consultation days and slots for the range from their rules
and exceptions (docs/satellites.md). Idempotent: a second run creates nothing. Prints a line
per office and a summary.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casebook.accounts.models import User
from casebook.common.errors import ActionNotPermitted
from casebook.satellites.models import Office, OfficeKind
from casebook.satellites.services import GenerationResult, schedule_generate


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"'{text}' is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = "Generate the satellite offices' consultation days and slots for a date range."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="date_from", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", required=True, help="last day, YYYY-MM-DD")
        parser.add_argument(
            "--by", required=True, help="the acting login (a coordinator, manager or admin)"
        )
        parser.add_argument(
            "--office", action="append", default=[], help="an office code (repeatable)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        date_from, date_to = _date(options["date_from"]), _date(options["date_to"])
        if date_to < date_from:
            raise CommandError("--to is before --from")
        try:
            by = User.objects.get(username=options["by"])
        except User.DoesNotExist:
            raise CommandError(f"no login '{options['by']}'") from None
        offices = Office.objects.filter(kind=OfficeKind.SATELLITE).order_by("code")
        if options["office"]:
            offices = offices.filter(code__in=options["office"])
            unknown = set(options["office"]) - set(offices.values_list("code", flat=True))
            if unknown:
                raise CommandError(f"no satellite office {', '.join(sorted(unknown))}")
        total = offices.count()
        done = {"days": 0, "slots": 0}

        def progress(office: Office, result: GenerationResult) -> None:
            self.stdout.write(
                f"[{result.offices}/{total}] {office.code}: "
                f"{result.days_created - done['days']} days, "
                f"{result.slots_created - done['slots']} slots created"
            )
            done["days"], done["slots"] = result.days_created, result.slots_created

        try:
            result = schedule_generate(
                by=by, date_from=date_from, date_to=date_to, offices=offices, progress=progress
            )
        except ActionNotPermitted as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            f"{result.offices} offices, {date_from}–{date_to}: "
            f"{result.days_created} days and {result.slots_created} slots created, "
            f"{result.days_kept} days already there, {result.days_cancelled} cancelled; "
            f"skipped {result.skipped_holidays} public holidays and "
            f"{result.skipped_closed} closed days"
        )
        for code, day in result.conflicts:
            self.stderr.write(
                f"{code} {day}: cancelled by an exception but holds bookings; "
                "cancel or move them, then run again"
            )
