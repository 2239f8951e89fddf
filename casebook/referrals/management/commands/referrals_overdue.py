"""`manage.py referrals_overdue`: announce referrals that fell overdue (run daily, e.g. 06:00)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from casebook.referrals.services import referrals_announce_overdue


class Command(BaseCommand):
    help = (
        "Publish a live event to both desks' boards and to the referrer for each referral whose "
        "due date passed in the last --days days (default 1: run once a day)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=1, help="look back this many days")

    def handle(self, *args: Any, days: int = 1, **options: Any) -> None:
        count = referrals_announce_overdue(since_days=max(days, 1))
        self.stdout.write(f"{count} overdue referral(s) announced")
