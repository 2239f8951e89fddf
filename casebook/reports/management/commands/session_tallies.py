"""`manage.py session_tallies [--rebuild]`: compare the report's kept counts with every
session and case counted anew (`casebook.reports.tallies`, `casebook.reports.case_tallies`;
docs/performance.md, "The FY KPI report"); exits with status 1 when they differ. `--rebuild`
installs the triggers again (with the current `TIME_ZONE`) and counts every session and case
anew. PostgreSQL only: elsewhere the report counts the sessions and nothing is
kept."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from casebook.reports import case_tallies, tallies


class Command(BaseCommand):
    help = "Compare the report's kept counts with the sessions and cases; --rebuild counts anew."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="install the triggers again and count every session anew",
        )

    def handle(self, *args: Any, rebuild: bool, **options: Any) -> None:
        if connection.vendor != "postgresql":
            self.stdout.write("nothing is kept on this database: the report counts the sessions")
            return
        started = time.monotonic()
        if rebuild:
            self.stdout.write("counting every session and case anew…")
            with transaction.atomic():
                tallies.install(connection)
                tallies.rebuild(connection)
                case_tallies.install(connection)
                case_tallies.rebuild(connection)
            self.stdout.write(f"rebuilt in {time.monotonic() - started:.1f} s")
            return
        self.stdout.write("counting every session and case anew to compare…")
        found = tallies.differences(connection)
        found[case_tallies.TABLE] = case_tallies.differences(connection)
        for table, count in found.items():
            self.stdout.write(f"  {table}: {count} row(s) differ")
        self.stdout.write(f"compared in {time.monotonic() - started:.1f} s")
        if any(found.values()):
            raise CommandError(
                "the kept counts differ from the sessions and cases: run with --rebuild"
            )
        self.stdout.write("the kept counts equal the sessions and cases")
