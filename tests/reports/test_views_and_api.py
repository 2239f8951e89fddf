from __future__ import annotations

import csv
import io

import pytest
from django.test import Client as WebClient
from openpyxl import load_workbook

from casebook.common.exports import csv_rows, xlsx_bytes
from tests.factories import CaseFactory, ClientFactory, SessionFactory, desk
from tests.reports.conftest import at

FY = 2025
SECRET = "廃業の相談（限定）"


@pytest.fixture
def sessions(cast):
    restricted = CaseFactory(
        confidentiality="restricted",
        on_exit_track=True,
        title=SECRET,
        client=ClientFactory(name="限定株式会社"),
        opened_at=at(2025, 5, 1),
    )
    normal = CaseFactory(opened_at=at(2025, 4, 5))
    other = CaseFactory(desk=desk("ip"), opened_at=at(2025, 4, 5))
    SessionFactory(case=restricted, started_at=at(2025, 5, 2))
    SessionFactory(case=normal, started_at=at(2025, 4, 6))
    SessionFactory(case=normal, started_at=at(2025, 6, 6), mode="online")
    SessionFactory(case=other, started_at=at(2025, 6, 7))
    return restricted


def logged_in(user) -> WebClient:
    client = WebClient()
    client.force_login(user)
    return client


def test_the_page_counts_a_restricted_case_but_never_names_or_links_it(cast, sessions):
    response = logged_in(cast.manager).get("/reports/", {"fy": FY})

    assert response.status_code == 200
    body = response.content.decode()
    assert response.context["consultations"].total == 4
    assert SECRET not in body and "限定株式会社" not in body
    assert f"/cases/{sessions.pk}/" not in body
    assert "2025年度（令和7年度）" in body
    assert "<svg" in body
    assert "相談対応件数" in body and "新規相談者数" in body


def test_the_api_answers_the_same_numbers_as_the_page(cast, sessions):
    client = logged_in(cast.manager)
    page = client.get("/reports/", {"fy": FY}).context["consultations"]
    answer = client.get("/api/v1/reports/consultations/", {"fy": FY, "desk": "yorozu"}).json()

    assert answer["fiscal_year"] == FY
    assert answer["total"] == 3 and page.total == 4
    assert answer["unique_clients"] == 2
    assert [m["month"] for m in answer["by_month"]][:3] == ["2025-04", "2025-05", "2025-06"]
    assert [m["total"] for m in answer["by_month"]][:3] == [1, 1, 1]
    assert answer["by_desk"] == [
        {"key": "yorozu", "label": desk("yorozu").name, "total": 3, "unique_clients": 2}
    ]
    assert {row["key"]: row["total"] for row in answer["by_mode"]} == {
        "in_person_hq": 2,
        "online": 1,
    }
    assert SECRET not in str(answer)


def test_a_bad_filter_is_refused_naming_the_field(cast, sessions):
    client = logged_in(cast.manager)

    api = client.get("/api/v1/reports/consultations/", {"desk": "nowhere"})
    assert api.status_code == 400
    assert [error["field"] for error in api.json()["errors"]] == ["desk"]
    assert client.get("/reports/", {"fy": "1900"}).status_code == 400
    assert client.get("/reports/consultations.csv", {"mode": "fax"}).status_code == 400


def test_a_coordinator_may_not_filter_on_another_desk(cast, sessions):
    response = logged_in(cast.coordinator).get(
        "/api/v1/reports/consultations/", {"fy": FY, "desk": "ip"}
    )

    assert response.status_code == 400


def test_who_reads_no_report_gets_404_everywhere(cast, sessions):
    for user in (cast.counselor, cast.exit_team, cast.outsider):
        client = logged_in(user)
        for url in (
            "/reports/",
            "/reports/consultations.csv",
            "/reports/cases.xlsx",
            "/reports/plan/",
            "/api/v1/reports/consultations/",
            "/api/v1/reports/cases/",
            "/api/v1/reports/plan/",
        ):
            assert client.get(url).status_code == 404, (user.username, url)


def test_the_plan_is_read_by_managers_and_auditors_not_by_a_desks_coordinator(cast):
    assert logged_in(cast.auditor).get("/reports/plan/").status_code == 200
    assert logged_in(cast.coordinator).get("/reports/plan/").status_code == 404
    assert logged_in(cast.coordinator).get("/api/v1/reports/plan/").status_code == 404


def test_the_csv_export_reads_back_as_the_report_in_utf8_with_a_bom(cast, sessions):
    response = logged_in(cast.manager).get("/reports/consultations.csv", {"fy": FY})

    raw = b"".join(response.streaming_content)
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    total = next(row for row in rows[1:] if row[2] == "")
    assert total[4:7] == ["4", "3", "3"]
    months = {row[2]: row[4] for row in rows if len(row[2]) == 7 and row[2][:2] == "20"}
    assert months["2025-05"] == "1" and months["2025-06"] == "2"
    assert SECRET not in raw.decode("utf-8-sig")


def test_the_xlsx_export_reads_back_as_the_report(cast, sessions):
    response = logged_in(cast.manager).get("/reports/cases.xlsx", {"fy": FY})

    workbook = load_workbook(io.BytesIO(response.content))
    by_month = workbook.worksheets[0]
    values = list(by_month.iter_rows(values_only=True))
    assert values[-1][1:] == (3, 0)  # opened, closed in the year
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_a_cell_that_looks_like_a_formula_is_written_as_text():
    lines = list(csv_rows(["name", "n"], [['=HYPERLINK("x")', 3], ["@SUM(A1)", -2]]))
    rows = list(csv.reader(io.StringIO("".join(lines).lstrip("\ufeff"))))

    assert rows[1] == ['\'=HYPERLINK("x")', "3"]
    assert rows[2] == ["'@SUM(A1)", "-2"]
    sheet = load_workbook(io.BytesIO(xlsx_bytes([("t", ["a"], [["+1+1"], [5]])]))).active
    assert [row[0] for row in sheet.iter_rows(values_only=True)] == ["a", "'+1+1", 5]
