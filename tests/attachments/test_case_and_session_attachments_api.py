"""Files on cases and sessions through the API (docs/security.md, "Attachments"): listed and
added by who may attach on the case page, checked like any other file, 404 for whoever does
not see the case."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as WebClient
from django.urls import reverse

from casebook.attachments.models import Attachment
from tests.factories import CaseFactory, SessionFactory, api_token, case_in_state, desk

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _api(user) -> WebClient:
    return WebClient(HTTP_AUTHORIZATION=f"Token {api_token(user)}")


def _post(api: WebClient, url: str, name: str = "決算書.pdf", content: bytes = PDF_BYTES):
    data = {"file": SimpleUploadedFile(name, content, content_type="application/pdf")}
    return api.post(url, data)


def _case_url(case) -> str:
    return reverse("case-attachment-list", args=[case.pk])


def _session_url(session) -> str:
    return reverse("session-attachment-list", args=[session.pk])


@pytest.fixture
def case(cast):
    return CaseFactory(desk=desk("yorozu"), status="active", lead_counselor=cast.counselor)


def test_the_lead_counselor_adds_a_file_to_a_case_and_the_coordinator_lists_it(cast, case):
    created = _post(_api(cast.counselor), _case_url(case))

    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["name"], body["size"], body["session"]) == ("決算書.pdf", len(PDF_BYTES), None)
    attachment = Attachment.objects.get()
    assert (attachment.case_id, attachment.uploaded_by_id) == (case.pk, cast.counselor.pk)
    listed = _api(cast.coordinator).get(_case_url(case))
    assert [row["id"] for row in listed.json()["results"]] == [body["id"]]
    assert _api(cast.coordinator).get(body["download"]).status_code == 200


def test_a_file_added_to_a_session_belongs_to_the_session_and_its_case(cast, case):
    session = SessionFactory(case=case)
    api = _api(cast.counselor)

    created = _post(api, _session_url(session), "議事録.pdf")

    assert created.status_code == 201, created.content
    assert created.json()["session"] == session.pk
    attachment = Attachment.objects.get()
    assert (attachment.case_id, attachment.session_id) == (case.pk, session.pk)
    _post(api, _case_url(case), "別紙.pdf")
    names = [row["name"] for row in api.get(_session_url(session)).json()["results"]]
    assert names == ["議事録.pdf"]


def test_another_desk_and_an_outsider_get_404_for_a_cases_and_a_sessions_files(cast, case):
    session = SessionFactory(case=case)
    _post(_api(cast.counselor), _case_url(case))
    for stranger in (cast.colleague, cast.outsider):
        api = _api(stranger)
        for url in (_case_url(case), _session_url(session)):
            assert api.get(url).status_code == 404
            assert _post(api, url).status_code == 404
    assert Attachment.objects.count() == 1


def test_who_reads_the_case_but_may_not_edit_it_adds_nothing(cast, case):
    session = SessionFactory(case=case)
    api = _api(cast.auditor)

    assert api.get(_case_url(case)).status_code == 200
    assert _post(api, _case_url(case)).status_code == 403
    assert _post(api, _session_url(session)).status_code == 403
    assert not Attachment.objects.exists()


def test_a_closed_case_and_its_sessions_take_no_new_file(cast):
    closed = case_in_state("closed", lead=cast.counselor, by=cast.coordinator)
    session = SessionFactory(case=closed)
    api = _api(cast.counselor)

    assert _post(api, _case_url(closed)).status_code == 403
    assert _post(api, _session_url(session)).status_code == 403
    assert not Attachment.objects.exists()


def test_a_bad_file_is_named_in_the_error_and_nothing_is_half_saved(
    cast, case, settings, attachment_store
):
    session = SessionFactory(case=case)
    api = _api(cast.counselor)
    settings.CASEBOOK_ATTACHMENT_MAX_BYTES = 1024

    for url in (_case_url(case), _session_url(session)):
        for name, content in (
            ("script.pdf", b"<script>x</script>"),
            ("macro.exe", b"MZ\x90\x00binary"),
            ("big.pdf", PDF_BYTES + b"0" * 2048),
        ):
            refused = _post(api, url, name, content)
            assert refused.status_code == 400, (url, name)
            assert [error["field"] for error in refused.json()["errors"]] == ["file"]

    assert not Attachment.objects.exists()
    assert not attachment_store.exists() or not any(
        p.is_file() for p in attachment_store.rglob("*")
    )
