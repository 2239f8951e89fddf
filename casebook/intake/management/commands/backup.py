"""`manage.py backup PATH`: the database and the attachment store in one archive
(docs/security.md, "Backups")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casebook.common.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database and the attachments into one .tar.gz archive."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the archive to write (e.g. casebook-2026-12-04.tar.gz)")

    def handle(self, *args: Any, path: str, **options: Any) -> None:
        target = Path(path)
        if target.exists():
            raise CommandError(f"{target} exists already; choose a new name")
        try:
            manifest = backup(target, progress=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"backup done: {manifest['engine']} database, "
                f"{manifest['attachments']} attachment file(s)"
            )
        )
