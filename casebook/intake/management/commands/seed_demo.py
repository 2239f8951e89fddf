"""`manage.py seed_demo`: a realistic demo organisation with twelve months of activity.

Each app keeps its demo data in `casebook/<app>/demo.py` with `seed(ctx)`; this command runs
them in order, each in its own transaction, then prints the demo logins and what the
database holds. Seeding is idempotent: a second run creates nothing.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import time
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Count

from casebook.common.demo import DEFAULT_DEMO_PASSWORD, DEMO_PASSWORD_ENV, DemoContext

# The core apps always seed; the others seed when their demo module exists.
CORE_DEMOS = ("casebook.accounts.demo", "casebook.satellites.demo", "casebook.intake.demo")
OPTIONAL_DEMOS = (
    # The satellites' bookings check clients in on intake's cases: seeded after them.
    "casebook.satellites.demo.bookings",
    "casebook.experts.demo",
    "casebook.referrals.demo",
    "casebook.exits.demo",
    "casebook.notifications.demo",
    "casebook.reports.demo",
)
CASEBOOK_APPS = (
    "accounts",
    "satellites",
    "intake",
    "experts",
    "referrals",
    "exits",
    "notifications",
    "reports",
)


class Command(BaseCommand):
    help = (
        "Seed a demo organisation: desks' staff with demo logins, offices, clients, cases and "
        "sessions of the last twelve months. Refused when DEBUG is off unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="seed even though DEBUG is off (never on a production database)",
        )
        parser.add_argument("--quick", action="store_true", help="a small data set, e.g. for tests")

    def handle(self, *args: Any, force: bool = False, quick: bool = False, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates demo logins with a shared password and is refused while "
                "DEBUG is off. Use --force only on a database that is not production."
            )
        password = os.environ.get(DEMO_PASSWORD_ENV) or DEFAULT_DEMO_PASSWORD
        ctx = DemoContext(password=password, quick=quick)
        for name in self._demo_modules():
            started, cpu = time.monotonic(), time.process_time()
            module = importlib.import_module(name)
            with transaction.atomic():
                module.seed(ctx)
            self.stdout.write(
                f"{name}: done in {time.monotonic() - started:.1f} s "
                f"({time.process_time() - cpu:.1f} s CPU)"
            )
        self._report(ctx, password)

    def _demo_modules(self) -> list[str]:
        optional = [name for name in OPTIONAL_DEMOS if importlib.util.find_spec(name) is not None]
        return [*CORE_DEMOS, *optional]

    def _report(self, ctx: DemoContext, password: str) -> None:
        for message in ctx.messages:
            self.stdout.write(f"  {message}")
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("What the database holds"))
        for model in self._models():
            self.stdout.write(f"  {model._meta.label:<32} {model._default_manager.count():>7}")
        case_model = apps.get_model("intake", "Case")
        by_status = case_model.objects.values("status").annotate(n=Count("id")).order_by("status")
        self.stdout.write(
            "  cases by status: " + ", ".join(f"{row['status']} {row['n']}" for row in by_status)
        )
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("Demo logins (password for all below)"))
        width = max((len(username) for username, _ in ctx.logins), default=10)
        for username, what in ctx.logins:
            self.stdout.write(f"  {username:<{width}}  {what}")
        self.stdout.write(f"  password: {password}")
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))

    @staticmethod
    def _models() -> list[Any]:
        models = []
        for label in CASEBOOK_APPS:
            try:
                config = apps.get_app_config(label)
            except LookupError:
                continue
            # An unmanaged model (the search's rows per case) has its table on PostgreSQL only.
            models.extend(
                m
                for m in config.get_models()
                if m._meta.managed and not m.__name__.startswith("Historical")
            )
        return models
