"""Backups (docs/security.md, "Backups"): one archive holds the database and the attachment
store, and restores both.

- PostgreSQL: `pg_dump --format=custom` (the whole database, schema and data, consistent
  in one snapshot), restored with `pg_restore --clean --if-exists --no-owner`.
- SQLite (development, a single machine): a portable dump of every row
  (`dumpdata`), restored into the migrated schema after a flush (`loaddata`).

The archive is a `.tar.gz` with `manifest.json` (the engine, when, the applied migrations),
the database file and `attachments/`. A restore refuses an archive of the other engine, and
an archive whose migrations are not those applied here (migrate first to the same code).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

Progress = Callable[[str], None]
MANIFEST = "manifest.json"
ATTACHMENTS = "attachments"
# Not data: rebuilt by `migrate` (content types, permissions) or short-lived (sessions).
SQLITE_EXCLUDED = ["contenttypes", "auth.permission", "sessions", "admin.logentry"]


def _sqlite_excluded() -> list[str]:
    """What a portable dump leaves out: the list above, and every unmanaged model (the
    search's rows per case exist on PostgreSQL only and are derived from the cases and
    sessions: docs/performance.md, "Search")."""
    unmanaged = [model._meta.label for model in apps.get_models() if not model._meta.managed]
    return [*SQLITE_EXCLUDED, *unmanaged]


class BackupError(Exception):
    pass


def _engine() -> str:
    return "postgresql" if connection.vendor == "postgresql" else connection.vendor


def _migrations() -> list[list[str]]:
    applied = MigrationRecorder(connection).applied_migrations()
    return sorted([app, name] for app, name in applied)


def _pg_env() -> tuple[list[str], dict[str, str]]:
    db = connection.settings_dict
    args = ["--dbname", db["NAME"]]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[:2000]}")


def backup(path: Path, *, progress: Progress = lambda line: None) -> dict[str, Any]:
    """Write the archive to `path`; its manifest."""
    engine = _engine()
    manifest = {
        "engine": engine,
        "created_at": timezone.now().isoformat(),
        "migrations": _migrations(),
    }
    store = Path(settings.CASEBOOK_ATTACHMENTS_DIR)
    with tempfile.TemporaryDirectory() as work:
        if engine == "postgresql":
            database = Path(work) / "database.dump"
            args, env = _pg_env()
            progress("dumping the PostgreSQL database (pg_dump)")
            _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(database), *args], env)
        else:
            database = Path(work) / "database.json"
            progress("dumping every row (dumpdata)")
            with database.open("w", encoding="utf-8") as out:
                call_command(
                    "dumpdata", exclude=_sqlite_excluded(), natural_foreign=True, stdout=out
                )
        manifest["database"] = database.name
        files = sorted(p for p in store.rglob("*") if p.is_file()) if store.is_dir() else []
        manifest["attachments"] = len(files)
        with tarfile.open(path, "w:gz") as archive:
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
            archive.add(database, arcname=database.name)
            for number, file in enumerate(files, start=1):
                archive.add(file, arcname=f"{ATTACHMENTS}/{file.relative_to(store).as_posix()}")
                if number % 500 == 0:
                    progress(f"attachments: {number}/{len(files)}")
    progress(f"written: {path} ({manifest['attachments']} attachment file(s))")
    return manifest


def restore(path: Path, *, progress: Progress = lambda line: None) -> dict[str, Any]:
    """Replace the database and the attachment store with the archive's; its manifest."""
    with tarfile.open(path, "r:gz") as archive, tempfile.TemporaryDirectory() as work:
        manifest = json.load(archive.extractfile(MANIFEST))  # type: ignore[arg-type]
        engine = _engine()
        if manifest.get("engine") != engine:
            raise BackupError(
                f"the archive holds a {manifest.get('engine')} database; this one is {engine}"
            )
        if manifest.get("migrations") != _migrations():
            raise BackupError(
                "the archive was made at other migrations: run this code's version of casebook "
                "that made it (or migrate to the same state) before restoring"
            )
        archive.extractall(work, filter="data")
        database = Path(work) / manifest["database"]
        if engine == "postgresql":
            args, env = _pg_env()
            progress("restoring the PostgreSQL database (pg_restore)")
            connection.close()
            _run(
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                    *args,
                    str(database),
                ],
                env,
            )
        else:
            progress("emptying the database and loading every row (flush, loaddata)")
            call_command("flush", interactive=False, verbosity=0)
            call_command("loaddata", str(database), verbosity=0)
        _restore_attachments(Path(work) / ATTACHMENTS, progress)
    progress(f"restored: {path} (made {manifest['created_at']})")
    return manifest


def _restore_attachments(source: Path, progress: Progress) -> None:
    store = Path(settings.CASEBOOK_ATTACHMENTS_DIR)
    store.mkdir(parents=True, exist_ok=True)
    restored = 0
    if source.is_dir():
        for file in source.rglob("*"):
            if file.is_file():
                target = store / file.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(file.read_bytes())
                restored += 1
    progress(f"attachments restored: {restored} file(s)")
