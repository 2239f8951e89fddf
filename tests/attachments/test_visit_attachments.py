"""Files on a dispatch visit's report (docs/security.md, "Attachments"): the dispatched expert
and the program desk's coordinators add them from the visit report page or the API; whoever
sees the dispatch (the experts policy) reads them; the checks are those of a case's files."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as WebClient
from django.urls import reverse
from django.utils import timezone

from casebook.accounts.models import DeskRole
from casebook.attachments.models import Attachment
from casebook.experts.models import DispatchVisit
from casebook.intake.models import AccessLog
from tests.factories import (
    CaseFactory,
    DispatchFactory,
    ExpertFactory,
    ProgramFactory,
    UserFactory,
    api_token,
    count_queries,
    desk,
    member,
)

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CASE_TITLE = "訪問先の秘密の案件名"


def _web(user) -> WebClient:
    web = WebClient()
    web.force_login(user)
    return web


def _api(user) -> WebClient:
    return WebClient(HTTP_AUTHORIZATION=f"Token {api_token(user)}")


def _upload(web: WebClient, visit, name: str = "現場写真.pdf", content: bytes = PDF_BYTES):
    data = {"file": SimpleUploadedFile(name, content, content_type="application/pdf")}
    return web.post(reverse("attachments:visit_new", args=[visit.pk]), data)


def _api_upload(api: WebClient, visit, name: str = "報告書.pdf", content: bytes = PDF_BYTES):
    data = {"file": SimpleUploadedFile(name, content, content_type="application/pdf")}
    return api.post(reverse("visit-attachment-list", args=[visit.pk]), data)


def _visit(cast, *, confidentiality: str = "normal", status: str = "scheduled") -> DispatchVisit:
    case = CaseFactory(
        desk=desk("yorozu"),
        status="active",
        lead_counselor=cast.counselor,
        confidentiality=confidentiality,
        on_exit_track=confidentiality == "restricted",
        title=CASE_TITLE,
    )
    expert = ExpertFactory(user=UserFactory(username="visiting_expert"))
    dispatch = DispatchFactory(
        case=case,
        program=ProgramFactory(code="visit-files"),
        expert=expert,
        status=status,
        requested_by=cast.counselor,
        approved_days=Decimal("2.0"),
        approved_at=timezone.now(),
    )
    return DispatchVisit.objects.create(
        dispatch=dispatch,
        expert=expert,
        date=timezone.localdate() - dt.timedelta(days=1),
        day_fraction=Decimal("1.0"),
    )


@pytest.fixture
def program_coordinator(db):
    return member("dispatch", DeskRole.COORDINATOR, username="program_coordinator")


def test_the_expert_attaches_a_file_from_the_visit_report_page_and_downloads_it(cast):
    visit = _visit(cast)
    expert = _web(visit.expert.user)
    page = expert.get(reverse("experts:visit_report", args=[visit.pk])).content.decode()
    assert reverse("attachments:visit_new", args=[visit.pk]) in page

    response = _upload(expert, visit)
    assert response.status_code == 302
    assert response["Location"].endswith(
        reverse("experts:visit_report", args=[visit.pk]) + "#attachments"
    )
    attachment = Attachment.objects.get()
    assert (attachment.visit, attachment.case, attachment.session) == (
        visit,
        visit.dispatch.case,
        None,
    )
    assert attachment.history.count() == 1
    page = expert.get(reverse("experts:visit_report", args=[visit.pk])).content.decode()
    assert "現場写真.pdf" in page
    download = expert.get(reverse("attachments:download", args=[attachment.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PDF_BYTES


def test_the_program_coordinator_attaches_and_reads_the_visit_files(cast, program_coordinator):
    visit = _visit(cast)
    _upload(_web(visit.expert.user), visit)
    web = _web(program_coordinator)
    assert _upload(web, visit, "議事録.pdf").status_code == 302
    assert Attachment.objects.filter(visit=visit).count() == 2
    for attachment in Attachment.objects.all():
        assert web.get(reverse("attachments:download", args=[attachment.pk])).status_code == 200


def test_the_case_counselors_read_the_visit_files_on_the_case_page(cast):
    visit = _visit(cast)
    _upload(_web(visit.expert.user), visit)
    attachment = Attachment.objects.get()
    page = _web(cast.counselor).get(reverse("case_detail", args=[visit.dispatch.case_id]))
    assert reverse("attachments:download", args=[attachment.pk]) in page.content.decode()


@pytest.mark.parametrize("who", ["colleague", "outsider", "another_expert"])
def test_who_does_not_see_the_dispatch_gets_404_for_the_visit_files(cast, who):
    visit = _visit(cast)
    _upload(_web(visit.expert.user), visit)
    attachment = Attachment.objects.get()
    users = {
        "colleague": cast.colleague,
        "outsider": cast.outsider,
        "another_expert": ExpertFactory(user=UserFactory(username="other_expert")).user,
    }
    web, api = _web(users[who]), _api(users[who])
    assert web.get(reverse("attachments:download", args=[attachment.pk])).status_code == 404
    assert _upload(web, visit).status_code == 404
    assert web.get(reverse("attachments:visit_new", args=[visit.pk])).status_code == 404
    assert api.get(reverse("visit-attachment-list", args=[visit.pk])).status_code == 404
    assert api.get(reverse("attachment-detail", args=[attachment.pk])).status_code == 404
    assert api.get(reverse("attachment-download", args=[attachment.pk])).status_code == 404
    assert _api_upload(api, visit).status_code == 404
    assert Attachment.objects.count() == 1


def test_who_sees_the_dispatch_but_does_not_file_its_reports_reads_but_attaches_nothing(cast):
    visit = _visit(cast)
    _upload(_web(visit.expert.user), visit)
    counselor = _web(cast.counselor)  # the case's counselor: sees the dispatch, files no report
    response = counselor.get(reverse("attachments:download", args=[Attachment.objects.get().pk]))
    assert response.status_code == 200
    assert _upload(counselor, visit).status_code == 403
    assert _api_upload(_api(cast.counselor), visit).status_code == 403
    assert Attachment.objects.count() == 1


def test_a_closed_dispatch_takes_no_new_visit_files(cast):
    visit = _visit(cast, status="closed")
    assert _upload(_web(visit.expert.user), visit).status_code == 403
    assert not Attachment.objects.exists()


def test_a_visit_file_is_checked_like_any_other(cast):
    visit = _visit(cast)
    expert = _web(visit.expert.user)
    assert _upload(expert, visit, "macro.exe", b"MZ\x90\x00binary").status_code == 400
    response = _api_upload(_api(visit.expert.user), visit, "script.pdf", b"<script>x</script>")
    assert response.status_code == 400
    assert "file" in response.json()["errors"][0]["field"]
    assert not Attachment.objects.exists()


def test_the_api_lists_adds_describes_and_serves_the_visit_files(cast, program_coordinator):
    visit = _visit(cast)
    api = _api(visit.expert.user)
    created = _api_upload(api, visit)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["name"] == "報告書.pdf" and body["visit"] == visit.pk
    assert "case" not in body
    listed = _api(program_coordinator).get(reverse("visit-attachment-list", args=[visit.pk]))
    assert [row["id"] for row in listed.json()["results"]] == [body["id"]]
    detail = api.get(reverse("attachment-detail", args=[body["id"]]))
    assert detail.json() == body
    download = api.get(body["download"])
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"


def test_on_a_restricted_case_the_expert_and_the_program_desk_see_the_files_not_the_case(
    cast, program_coordinator
):
    visit = _visit(cast, confidentiality="restricted")
    case = visit.dispatch.case
    _upload(_web(visit.expert.user), visit)
    assert _upload(_web(program_coordinator), visit).status_code == 302
    AccessLog.objects.all().delete()
    for user in (visit.expert.user, program_coordinator):
        web, api = _web(user), _api(user)
        bodies = [
            web.get(reverse("experts:visit_report", args=[visit.pk])),
            web.get(reverse("attachments:visit_new", args=[visit.pk])),
            api.get(reverse("visit-attachment-list", args=[visit.pk])),
        ] + [
            api.get(reverse("attachment-detail", args=[attachment.pk]))
            for attachment in Attachment.objects.all()
        ]
        for response in bodies:
            assert response.status_code == 200
            text = response.content.decode()
            assert case.number not in text and CASE_TITLE not in text
        for attachment in Attachment.objects.all():
            response = web.get(reverse("attachments:download", args=[attachment.pk]))
            assert response.status_code == 200
            assert case.number not in response["Content-Disposition"]
        assert web.get(reverse("case_detail", args=[case.pk])).status_code == 404
    # Every download of a restricted case's file is in the access log, whoever reads it.
    downloads = AccessLog.objects.filter(via__startswith="attachment:")
    assert downloads.count() == 2 * Attachment.objects.count()


def test_the_visit_report_page_and_the_api_list_stay_within_their_budget(
    cast, django_assert_max_num_queries
):
    visit = _visit(cast)
    expert, api = _web(visit.expert.user), _api(visit.expert.user)
    page_url = reverse("experts:visit_report", args=[visit.pk])
    list_url = reverse("visit-attachment-list", args=[visit.pk])
    _upload(expert, visit)
    expert.get(page_url)
    api.get(list_url)
    with django_assert_max_num_queries(10):
        expert.get(page_url)
    with django_assert_max_num_queries(6):
        api.get(list_url)
    few_page, _ = count_queries(lambda: expert.get(page_url))
    few_list, _ = count_queries(lambda: api.get(list_url))
    for n in range(12):
        _upload(expert, visit, f"写真{n}.pdf")
    many_page, response = count_queries(lambda: expert.get(page_url))
    many_list, _ = count_queries(lambda: api.get(list_url))
    assert (many_page, many_list) == (few_page, few_list)
    assert response.content.decode().count("写真") >= 12


def _another_visit(visit: DispatchVisit, days_before: int) -> DispatchVisit:
    return DispatchVisit.objects.create(
        dispatch=visit.dispatch,
        expert=visit.expert,
        date=visit.date - dt.timedelta(days=days_before),
        day_fraction=Decimal("0.5"),
    )


def test_the_dispatch_page_lists_each_visits_files_with_their_size_and_download_link(cast):
    visit = _visit(cast)
    other = _another_visit(visit, 7)
    expert = _web(visit.expert.user)
    _upload(expert, visit, "現場写真.pdf")
    _upload(expert, other, "議事録.pdf")
    photo = Attachment.objects.get(name="現場写真.pdf")

    page = _web(cast.counselor).get(reverse("experts:dispatch", args=[visit.dispatch.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert "現場写真.pdf" in html and "議事録.pdf" in html
    assert reverse("attachments:download", args=[photo.pk]) in html
    (photo_row,) = [row for row in html.split("<tr>") if "現場写真.pdf" in row]
    assert "議事録.pdf" not in photo_row
    assert f"{len(PDF_BYTES)}\xa0" in photo_row  # its size (filesizeformat)


def test_the_dispatch_page_reads_the_files_of_all_its_visits_in_one_query(
    cast, django_assert_max_num_queries
):
    visit = _visit(cast)
    expert, counselor = _web(visit.expert.user), _web(cast.counselor)
    url = reverse("experts:dispatch", args=[visit.dispatch.pk])
    _upload(expert, visit)
    counselor.get(url)
    few, _ = count_queries(lambda: counselor.get(url))
    for n in range(8):
        extra = _another_visit(visit, n + 1)
        for m in range(3):
            _upload(expert, extra, f"写真{n}-{m}.pdf")

    many, response = count_queries(lambda: counselor.get(url))

    assert many == few
    assert response.content.decode().count("写真") >= 24
