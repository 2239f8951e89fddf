"""Attachments on cases and sessions (docs/security.md, "Attachments"): allowed by content,
limited in size, kept outside the web root, served only to who sees the case and never in a
way a browser would run."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as WebClient
from django.urls import reverse

from casebook.attachments import files
from casebook.attachments.models import Attachment
from casebook.intake.models import AccessLog
from tests.factories import CaseFactory, SessionFactory, case_in_state, count_queries, desk

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _office(main_part: str, *, macros: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr(main_part, "<document/>")
        if macros:
            package.writestr("word/vbaProject.bin", b"\x00macro")
    return buffer.getvalue()


def _web(user) -> WebClient:
    web = WebClient()
    web.force_login(user)
    return web


def _upload(web: WebClient, case, name: str, content: bytes, **extra):
    data = {"file": SimpleUploadedFile(name, content, content_type="application/pdf"), **extra}
    return web.post(reverse("attachments:new", args=[case.pk]), data)


@pytest.fixture
def case(cast):
    return CaseFactory(desk=desk("yorozu"), status="active", lead_counselor=cast.counselor)


def test_a_counselor_attaches_a_pdf_that_the_case_page_lists_and_the_timeline_shows(cast, case):
    response = _upload(_web(cast.counselor), case, "決算書 2025.pdf", PDF_BYTES)
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert (attachment.name, attachment.content_type) == ("決算書 2025.pdf", "application/pdf")
    assert attachment.size == len(PDF_BYTES) and attachment.history.count() == 1
    page = _web(cast.coordinator).get(reverse("case_detail", args=[case.pk])).content.decode()
    assert page.count(reverse("attachments:download", args=[attachment.pk])) == 2
    assert "決算書 2025.pdf" in page


@pytest.mark.parametrize(
    ("name", "content", "expected_type", "expected_name"),
    [
        ("photo.png", PNG_BYTES, "image/png", "photo.png"),
        ("scan.jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 16, "image/jpeg", "scan.jpeg"),
        ("契約書.docx", _office("word/document.xml"), files.DOCX.content_type, "契約書.docx"),
        ("試算表.xlsx", _office("xl/workbook.xml"), files.XLSX.content_type, "試算表.xlsx"),
        ("売上.csv", "月,売上\n4月,100\n".encode("cp932"), "text/csv", "売上.csv"),
        ("memo", "発明の概要".encode(), "text/plain", "memo.txt"),
        ("really_a_pdf.png", PDF_BYTES, "application/pdf", "really_a_pdf.png.pdf"),
    ],
)
def test_the_type_comes_from_the_content_and_the_name_gets_its_extension(
    cast, case, name, content, expected_type, expected_name
):
    assert _upload(_web(cast.counselor), case, name, content).status_code == 302
    attachment = Attachment.objects.get()
    assert (attachment.content_type, attachment.name) == (expected_type, expected_name)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("statement.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
        ("logo.png", b'<?xml version="1.0"?><svg onload="alert(1)"/>'),
        ("invoice.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64),
        ("plan.docx", _office("word/document.xml", macros=True)),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64),
        ("archive.docx", _office("other/thing.xml")),
    ],
)
def test_a_file_of_a_type_not_allowed_is_refused_whatever_its_name(cast, case, name, content):
    response = _upload(_web(cast.counselor), case, name, content)
    assert response.status_code == 400
    assert "内容で判定しています" in response.content.decode()  # "… (by its content)"
    assert not Attachment.objects.exists()


def test_a_file_above_the_size_limit_is_refused_and_nothing_is_stored(
    cast, case, settings, attachment_store
):
    settings.CASEBOOK_ATTACHMENT_MAX_BYTES = 1024 * 1024
    big = PDF_BYTES + b"0" * (1024 * 1024)
    response = _upload(_web(cast.counselor), case, "big.pdf", big)
    assert response.status_code == 400 and "1 MB を超えています" in response.content.decode()
    assert not Attachment.objects.exists()
    assert not attachment_store.exists() or not any(attachment_store.rglob("*.*"))


def test_names_lose_their_path_control_characters_and_leading_dots(cast, case):
    _upload(_web(cast.counselor), case, "../../etc/..\u202epassw\x07d<>.pdf", PDF_BYTES)
    assert Attachment.objects.get().name == "passwd__.pdf"


def test_the_bytes_live_under_a_random_name_outside_the_web_root(cast, case, attachment_store):
    _upload(_web(cast.counselor), case, "決算書.pdf", PDF_BYTES)
    attachment = Attachment.objects.get()
    stored = attachment_store / attachment.stored_name
    assert stored.read_bytes() == PDF_BYTES
    assert "決算書" not in attachment.stored_name and not attachment.stored_name.endswith(".pdf")
    web_root = Path(settings.STATIC_ROOT).resolve()
    assert web_root not in stored.resolve().parents


def test_the_download_is_an_attachment_that_no_browser_runs(cast, case):
    _upload(_web(cast.counselor), case, "売上.csv", "月,売上\n".encode())
    attachment = Attachment.objects.get()
    response = _web(cast.coordinator).get(reverse("attachments:download", args=[attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E5%A3%B2%E4%B8%8A.csv" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "text/csv"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == "月,売上\n".encode()


def test_who_may_not_see_the_case_gets_404_for_its_files(cast, case):
    _upload(_web(cast.counselor), case, "決算書.pdf", PDF_BYTES)
    url = reverse("attachments:download", args=[Attachment.objects.get().pk])
    assert _web(cast.colleague).get(url).status_code == 404
    assert _web(cast.outsider).get(url).status_code == 404
    assert _web(cast.colleague).get(reverse("attachments:new", args=[case.pk])).status_code == 404
    assert WebClient().get(url).status_code == 302  # to the login


def test_an_auditor_reads_the_files_but_attaches_none(cast, case):
    _upload(_web(cast.counselor), case, "決算書.pdf", PDF_BYTES)
    auditor = _web(cast.auditor)
    url = reverse("attachments:download", args=[Attachment.objects.get().pk])
    assert auditor.get(url).status_code == 200
    assert _upload(auditor, case, "more.pdf", PDF_BYTES).status_code == 403
    assert Attachment.objects.count() == 1


def test_a_closed_case_takes_no_new_files(cast):
    closed = case_in_state("closed", lead=cast.counselor, by=cast.coordinator)
    assert _upload(_web(cast.counselor), closed, "late.pdf", PDF_BYTES).status_code == 403


@pytest.mark.parametrize("confidentiality", ["confidential", "restricted"])
def test_each_download_of_a_confidential_or_restricted_file_is_access_logged(cast, confidentiality):
    secret = CaseFactory(
        desk=desk("yorozu"),
        status="active",
        lead_counselor=cast.counselor,
        confidentiality=confidentiality,
    )
    _upload(_web(cast.counselor), secret, "発明開示書.pdf", PDF_BYTES)
    attachment = Attachment.objects.get()
    AccessLog.objects.all().delete()
    web = _web(cast.counselor)
    url = reverse("attachments:download", args=[attachment.pk])
    web.get(url)
    web.get(url)
    logged = list(AccessLog.objects.values_list("user__username", "case_id", "via"))
    assert logged == [("counselor", secret.pk, f"attachment:{attachment.pk}")] * 2


def test_a_download_of_a_normal_case_file_is_not_logged(cast, case):
    _upload(_web(cast.counselor), case, "決算書.pdf", PDF_BYTES)
    _web(cast.counselor).get(reverse("attachments:download", args=[Attachment.objects.get().pk]))
    assert not AccessLog.objects.exists()


def test_a_file_attaches_to_a_session_of_its_case_only(cast, case):
    session = SessionFactory(case=case)
    other = SessionFactory(case=CaseFactory(desk=desk("yorozu"), lead_counselor=cast.counselor))
    web = _web(cast.counselor)
    assert _upload(web, case, "議事録.pdf", PDF_BYTES, session=other.pk).status_code == 400
    assert _upload(web, case, "議事録.pdf", PDF_BYTES, session=session.pk).status_code == 302
    assert Attachment.objects.get().session == session


def test_the_case_page_with_many_files_stays_within_its_budget(
    cast, case, django_assert_max_num_queries
):
    web = _web(cast.counselor)
    for n in range(3):
        _upload(web, case, f"資料{n}.pdf", PDF_BYTES)
    url = reverse("case_detail", args=[case.pk])
    web.get(url)
    with django_assert_max_num_queries(16):
        web.get(url)
    few, _ = count_queries(lambda: web.get(url))
    for n in range(3, 30):
        _upload(web, case, f"資料{n}.pdf", PDF_BYTES)
    many, response = count_queries(lambda: web.get(url))
    assert many == few and response.content.decode().count("資料") >= 30


def test_the_download_stays_within_its_budget(cast, case, django_assert_max_num_queries):
    _upload(_web(cast.counselor), case, "決算書.pdf", PDF_BYTES)
    web = _web(cast.counselor)
    url = reverse("attachments:download", args=[Attachment.objects.get().pk])
    web.get(url)
    with django_assert_max_num_queries(5):
        assert web.get(url).status_code == 200
