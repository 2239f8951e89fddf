"""`manage.py retention [--years N] [--dry-run]`: anonymise the clients with no activity
for N years (docs/security.md, "Retention"); progress per client, a summary at the end."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from casebook.intake.models import Client
from casebook.intake.services.retention import client_anonymise, clients_due, retention_cutoff


class Command(BaseCommand):
    help = "Anonymise the clients with no activity for N years (the retention period)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--years",
            type=int,
            default=settings.CASEBOOK_RETENTION_YEARS,
            help="years without activity (default: CASEBOOK_RETENTION_YEARS)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="list the clients due, change nothing"
        )

    def handle(self, *args: Any, years: int, dry_run: bool, **options: Any) -> None:
        if years < 1:
            raise CommandError("--years: the retention period is at least one year")
        cutoff = retention_cutoff(years=years)
        due = list(clients_due(cutoff=cutoff).values_list("pk", flat=True))
        total = len(due)
        self.stdout.write(
            f"{total} client(s) without activity since {cutoff:%Y-%m-%d}"
            + (" (dry run: nothing is changed)" if dry_run else "")
        )
        if dry_run:
            for pk in due:
                self.stdout.write(f"  would anonymise client #{pk}")
            return
        done = objects = held = 0
        for number, pk in enumerate(due, start=1):
            changed = client_anonymise(client=Client(pk=pk), by=None, cutoff=cutoff)
            if changed is None:
                held += 1
                self.stdout.write(f"  [{number}/{total}] client #{pk}: held, left as it is")
                continue
            done += 1
            objects += changed
            self.stdout.write(f"  [{number}/{total}] client #{pk}: {changed} object(s) changed")
        self.stdout.write(
            self.style.SUCCESS(
                f"anonymised {done} client(s), {objects} object(s) changed, {held} held"
            )
        )
