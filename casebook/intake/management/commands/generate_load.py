"""`manage.py generate_load`: a decade of a large hub for measuring (docs/performance.md).

Puts the demo organisation in place when it is missing (`seed_demo --quick`), then writes
clients, cases, sessions, experts, dispatches and referrals in bulk, with progress and a
summary. Refused while DEBUG is off unless --force, like the demo.
"""

from __future__ import annotations

import resource
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import Count

from casebook.accounts.models import DeskMembership
from casebook.common.extensions import registry
from casebook.intake.demo.load import SHAPES, LoadGenerator, Plan
from casebook.intake.models import Case


class Command(BaseCommand):
    help = (
        "Fill the database with a decade of a large hub (50,000 clients, 200,000 cases, a "
        "million sessions, 300 experts, 20,000 dispatches, referrals) for the benchmark."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--shape", choices=SHAPES, default="decade")
        parser.add_argument(
            "--scale", type=float, default=1.0, help="fraction of the full counts (e.g. 0.01)"
        )
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--force", action="store_true", help="run even though DEBUG is off")

    def handle(
        self, *args: Any, shape: str, scale: float, seed: int, force: bool, **options: Any
    ) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "generate_load writes demo logins and bulk data and is refused while DEBUG is "
                "off. Use --force only on a database that is not production."
            )
        if not 0 < scale <= 10:
            raise CommandError("--scale: a fraction above 0 and at most 10, e.g. 0.01")
        started = time.monotonic()
        if not DeskMembership.objects.exists():
            self.stdout.write("No staff yet: seeding the demo organisation (seed_demo --quick).")
            call_command("seed_demo", quick=True, force=True, stdout=self.stdout)
        plan = Plan(scale=scale, shape=shape, seed=seed)
        self.stdout.write(
            f"Writing a {shape} load at scale {scale}: "
            + ", ".join(f"{name} {count:,}" for name, count in plan.counts.items())
        )
        # What other apps keep of these rows by triggers is counted once, after the last row,
        # rather than statement by statement (docs/performance.md, "Bulk writes").
        with transaction.atomic(), registry.bulk_write(connection, progress=self._progress):
            written = LoadGenerator(plan, progress=self._progress).run()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self._summary(written, time.monotonic() - started)

    def _progress(self, message: str) -> None:
        self.stdout.write(f"  {message}")
        self.stdout.flush()

    def _summary(self, written: dict[str, int], seconds: float) -> None:
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(self.style.MIGRATE_HEADING("Written"))
        for label, count in written.items():
            self.stdout.write(f"  {label:<20} {count:>10,}")
        by_status = Case.objects.values("status").annotate(n=Count("id")).order_by("status")
        self.stdout.write(
            "  cases by status: " + ", ".join(f"{row['status']} {row['n']:,}" for row in by_status)
        )
        self.stdout.write(
            self.style.SUCCESS(f"Done in {seconds:.0f} s, peak memory {peak_mb:.0f} MB.")
        )
