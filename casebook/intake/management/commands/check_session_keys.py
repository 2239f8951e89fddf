"""`manage.py check_session_keys [--repair]`: find the sessions whose desk, client or
confidentiality is not their case's (docs/performance.md, "The FY KPI report", "The small
desk's sessions"); with `--repair`, copy the case's onto them. Exits with status 1 when it
finds any and does not repair them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from casebook.intake.models import Case
from casebook.intake.selectors.sessions import sessions_apart_from_their_case
from casebook.intake.services.sessions import sessions_follow_cases


class Command(BaseCommand):
    help = (
        "Find sessions whose desk, client or confidentiality differs from their case's; "
        "--repair fixes them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--repair",
            action="store_true",
            help="copy each case's desk, client and confidentiality onto them",
        )

    def handle(self, *args: Any, repair: bool, **options: Any) -> None:
        apart = sessions_apart_from_their_case()
        case_ids = sorted(set(apart.values_list("case_id", flat=True)))
        if not case_ids:
            self.stdout.write("every session carries its case's desk, client and confidentiality")
            return
        count = apart.count()
        self.stdout.write(f"{count} session(s) of {len(case_ids)} case(s) differ from their case")
        if not repair:
            raise CommandError(
                "run with --repair to copy the cases' desk, client and confidentiality onto them"
            )
        with transaction.atomic():
            # The case lock's strength (`lock_case`): the repair waits for, and holds back,
            # every other locker of these cases, and changes neither their keys nor their
            # rows' existence, so the rows that point at them are written meanwhile
            # (docs/performance.md, "The case lock: FOR NO KEY UPDATE").
            cases = list(
                Case.objects.select_for_update(no_key=True, of=("self",))
                .filter(pk__in=case_ids)
                .order_by("pk")
            )
            changed = sessions_follow_cases(cases=cases)
        self.stdout.write(f"repaired {changed} session(s)")
