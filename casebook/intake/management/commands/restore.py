"""`manage.py restore PATH --yes`: replace the database and the attachment store with an
archive written by `manage.py backup` (docs/security.md, "Backups")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casebook.common.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore the database and the attachments from a backup archive (replaces them)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="an archive written by manage.py backup")
        parser.add_argument(
            "--yes", action="store_true", help="confirm: everything stored now is replaced"
        )

    def handle(self, *args: Any, path: str, yes: bool, **options: Any) -> None:
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"{source}: no such archive")
        if not yes:
            raise CommandError("a restore replaces every record and file: add --yes to confirm")
        try:
            manifest = restore(source, progress=self.stdout.write)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"restore done (backup of {manifest['created_at']})"))
