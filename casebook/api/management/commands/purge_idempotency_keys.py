"""Delete stored Idempotency-Key responses older than the 24-hour replay window."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from casebook.api.idempotency import idempotency_records_purge


class Command(BaseCommand):
    help = "Delete stored Idempotency-Key responses older than 24 hours."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = idempotency_records_purge()
        self.stdout.write(f"{deleted} expired idempotency record(s) deleted")
