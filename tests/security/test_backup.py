"""Backups (docs/security.md, "Backups"): `manage.py backup` writes the database and the
attachment store into one archive and `manage.py restore` brings both back — on SQLite (a
portable dump) and on PostgreSQL (pg_dump / pg_restore), whichever the suite runs on."""

from __future__ import annotations

import io
import json
import tarfile

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from casebook.attachments.models import Attachment
from casebook.intake.models import Case, Client, ConsultationSession
from tests.factories import CaseFactory, ClientFactory, SessionFactory, desk


def _call(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_backup_restores_the_records_their_history_and_the_files(cast, settings, tmp_path):
    store = tmp_path / "store"
    settings.CASEBOOK_ATTACHMENTS_DIR = str(store)
    client = ClientFactory(name="株式会社復元")
    case = CaseFactory(desk=desk("yorozu"), client=client, lead_counselor=cast.counselor)
    session = SessionFactory(case=case, summary="復元される相談")
    (store / "2026/12").mkdir(parents=True)
    (store / "2026/12/abc").write_bytes(b"%PDF-1.7 restored")
    Attachment.objects.create(
        case=case,
        name="決算書.pdf",
        content_type="application/pdf",
        size=17,
        sha256="0" * 64,
        stored_name="2026/12/abc",
        uploaded_by=cast.counselor,
    )
    history_rows = Client.history.filter(id=client.pk).count()
    archive = tmp_path / "casebook.tar.gz"

    output = _call("backup", str(archive))
    assert "backup done" in output and "1 attachment file(s)" in output

    Attachment.objects.all().delete()
    ConsultationSession.objects.filter(pk=session.pk).delete()
    Case.objects.filter(pk=case.pk).delete()
    Client.objects.filter(pk=client.pk).delete()
    (store / "2026/12/abc").unlink()

    output = _call("restore", str(archive), "--yes")
    assert "restore done" in output
    assert Client.objects.get(pk=client.pk).name == "株式会社復元"
    assert ConsultationSession.objects.get(pk=session.pk).summary == "復元される相談"
    assert Attachment.objects.get().case_id == case.pk
    assert (store / "2026/12/abc").read_bytes() == b"%PDF-1.7 restored"
    assert Client.history.filter(id=client.pk).count() == history_rows


@pytest.mark.django_db
def test_a_restore_needs_a_confirmation_and_an_archive(tmp_path):
    with pytest.raises(CommandError, match="no such archive"):
        _call("restore", str(tmp_path / "missing.tar.gz"), "--yes")
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(b"")
    with pytest.raises(CommandError, match="--yes"):
        _call("restore", str(archive))


@pytest.mark.django_db
def test_a_restore_refuses_an_archive_of_another_engine_or_other_migrations(tmp_path):
    for manifest, message in (
        ({"engine": "oracle", "migrations": []}, "holds a oracle database"),
        ({"engine": None, "migrations": [["intake", "9999_future"]]}, "other migrations"),
    ):
        if manifest["engine"] is None:
            manifest["engine"] = connection.vendor
        archive = tmp_path / f"{message[:5]}.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            data = json.dumps(manifest).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        with pytest.raises(CommandError, match=message):
            _call("restore", str(archive), "--yes")
    assert Client.objects.count() == 0


@pytest.mark.django_db
def test_a_backup_never_overwrites_an_archive(tmp_path):
    archive = tmp_path / "taken.tar.gz"
    archive.write_bytes(b"old")
    with pytest.raises(CommandError, match="exists already"):
        _call("backup", str(archive))
    assert archive.read_bytes() == b"old"
