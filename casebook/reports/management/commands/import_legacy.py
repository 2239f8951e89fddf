"""`manage.py import_legacy FILE.csv --by USERNAME [--dry-run]`: past consultation records
from the legacy spreadsheet (docs/legacy-import.md). All or nothing; a refused file lists
every error by row and column."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from casebook.accounts.models import User
from casebook.common.errors import ActionNotPermitted
from casebook.reports.services.legacy_import import LegacyImportRefused, legacy_import


class Command(BaseCommand):
    help = "Import past consultation records from the legacy spreadsheet (CSV, UTF-8)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the CSV file (UTF-8, with or without a BOM)")
        parser.add_argument("--by", required=True, help="the manager's login the import is by")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and count everything, write nothing"
        )

    def handle(self, *args: object, **options: object) -> None:
        try:
            by = User.objects.get(username=options["by"], is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"--by: no active login {options['by']!r}") from None

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"  {done}/{total}")

        try:
            with open(options["file"], encoding="utf-8-sig", newline="") as stream:
                summary = legacy_import(
                    stream=stream, by=by, dry_run=options["dry_run"], progress=progress
                )
        except OSError as error:
            raise CommandError(f"{options['file']}: {error.strerror}") from error
        except UnicodeDecodeError as error:
            raise CommandError(f"{options['file']}: not UTF-8 ({error.reason})") from error
        except ActionNotPermitted as error:
            raise CommandError(error.message) from error
        except LegacyImportRefused as refused:
            for error in refused.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"{len(refused.errors)} errors in {options['file']}: nothing was imported"
            ) from refused
        verb = "would import" if summary.dry_run else "imported"
        self.stdout.write(
            f"{verb} {summary.rows} rows: {summary.sessions_created} sessions in "
            f"{summary.cases_created} cases; clients: {summary.clients_matched} matched, "
            f"{summary.clients_created} new"
            + (" (dry run: nothing written)" if summary.dry_run else "")
        )
