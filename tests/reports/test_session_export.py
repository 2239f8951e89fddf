"""The row-by-row export of a fiscal year of sessions (docs/reports.md, "The session
export")."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test import Client as WebClient
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from casebook.common import exports
from casebook.intake.models import AccessLog, Topic
from casebook.reports.selectors import session_export_rows
from casebook.reports.selectors.filters import ReportFilters
from tests.factories import CaseFactory, ClientFactory, SessionFactory, desk
from tests.markers import needs_postgres
from tests.reports.conftest import at

FY = 2025
SECRET = "廃業の相談（限定）"


def logged_in(user) -> WebClient:
    client = WebClient()
    client.force_login(user)
    return client


def csv_of(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:])))


@pytest.fixture
def year(cast):
    """Sessions of FY2025 at two desks, one on a restricted case, one just outside the year,
    a summary that a spreadsheet would run as a formula."""
    restricted = CaseFactory(
        confidentiality="restricted",
        on_exit_track=True,
        title=SECRET,
        client=ClientFactory(name="限定株式会社"),
        opened_at=at(2025, 5, 1),
    )
    normal = CaseFactory(
        title="資金繰りの相談", client=ClientFactory(name="筑波精工"), opened_at=at(2025, 4, 5)
    )
    other = CaseFactory(desk=desk("ip"), opened_at=at(2025, 4, 5))
    finance, labour = Topic.objects.get(code="finance"), Topic.objects.get(code="labour")
    first = SessionFactory(
        case=normal, started_at=at(2025, 4, 6, 9, 30), mode="phone", duration_minutes=45
    )
    first.topics.set([finance, labour])
    first.counselors.set([cast.counselor])
    SessionFactory(case=normal, started_at=at(2025, 6, 6), mode="online", summary="=1+2")
    hidden = SessionFactory(case=restricted, started_at=at(2025, 5, 2), summary="廃業の話")
    hidden.topics.set([finance])
    hidden.counselors.set([cast.exit_team])
    SessionFactory(case=other, started_at=at(2025, 6, 7))
    SessionFactory(case=normal, started_at=at(2026, 4, 1, 0, 0))  # FY2026
    return {"restricted": restricted, "normal": normal}


def test_the_csv_has_one_row_per_session_of_the_year_oldest_first(cast, year):
    finance, labour = Topic.objects.get(code="finance"), Topic.objects.get(code="labour")
    rows = csv_of(logged_in(cast.manager).get("/reports/sessions.csv", {"fy": FY}))

    assert len(rows) == 4
    assert [row["開始日時"] for row in rows][:2] == ["2025-04-06 09:30", "2025-05-02 10:00"]
    first = rows[0]
    assert first["案件番号"] == year["normal"].number
    assert first["件名"] == "資金繰りの相談"
    assert first["相談者"] == "筑波精工"
    assert first["相談員"] == cast.counselor.display_name
    assert first["相談方法"] == "電話"
    assert first["所要時間（分）"] == "45"
    assert set(first["相談分野"].split("、")) == {finance.name, labour.name}
    assert first["窓口"] == year["normal"].desk.name


def test_a_restricted_case_is_counted_but_never_named(cast, year):
    response = logged_in(cast.manager).get("/reports/sessions.csv", {"fy": FY})
    body = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(body[1:])))

    hidden = [row for row in rows if row["限定案件"]]
    assert len(hidden) == 1
    row = hidden[0]
    assert row["開始日時"] == "2025-05-02 10:00" and row["窓口"]
    assert row["案件番号"] == row["件名"] == row["相談者"] == ""
    assert row["相談員"] == row["相談分野"] == row["相談内容"] == ""
    assert SECRET not in body and "限定株式会社" not in body and "廃業の話" not in body
    assert year["restricted"].number not in body


def test_the_export_logs_the_restricted_cases_it_counts_once_a_day(cast, year):
    client = logged_in(cast.manager)
    b"".join(client.get("/reports/sessions.csv", {"fy": FY}).streaming_content)
    client.get("/reports/sessions.xlsx", {"fy": FY})

    logged = AccessLog.objects.filter(user=cast.manager, via="export")
    assert list(logged.values_list("case_id", flat=True)) == [year["restricted"].pk]


def test_an_auditor_who_may_not_open_the_restricted_case_leaves_no_access_log_row(cast, year):
    response = logged_in(cast.auditor).get("/reports/sessions.csv", {"fy": FY})
    body = b"".join(response.streaming_content).decode("utf-8-sig")

    assert response.status_code == 200 and "限定（名称なし）" in body
    assert not AccessLog.objects.filter(user=cast.auditor).exists()


def test_a_cell_that_looks_like_a_formula_is_written_as_text(cast, year):
    rows = csv_of(logged_in(cast.manager).get("/reports/sessions.csv", {"fy": FY}))

    assert "'=1+2" in [row["相談内容"] for row in rows]


def test_the_filters_of_the_report_narrow_the_rows(cast, year):
    client = logged_in(cast.manager)

    by_desk = csv_of(client.get("/reports/sessions.csv", {"fy": FY, "desk": "ip"}))
    by_mode = csv_of(client.get("/reports/sessions.csv", {"fy": FY, "mode": "online"}))
    by_counselor = csv_of(
        client.get("/reports/sessions.csv", {"fy": FY, "counselor": cast.counselor.pk})
    )

    assert len(by_desk) == 1 and by_desk[0]["窓口"] == desk("ip").name
    assert [row["相談内容"] for row in by_mode] == ["'=1+2"]
    assert [row["案件番号"] for row in by_counselor] == [year["normal"].number]


def test_the_xlsx_round_trips_the_same_rows_as_the_csv(cast, year):
    client = logged_in(cast.manager)
    rows = csv_of(client.get("/reports/sessions.csv", {"fy": FY}))
    response = client.get("/reports/sessions.xlsx", {"fy": FY})

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="sessions-FY2025.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    table = [[("" if v is None else v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert table[0] == list(rows[0].keys())
    assert len(table) == 1 + len(rows)
    for cells, row in zip(table[1:], rows, strict=True):
        assert [str(v) for v in cells] == list(row.values())


@pytest.mark.parametrize(
    ("params", "field"),
    [({"fy": "nineteen"}, "fy"), ({"fy": FY, "desk": "nowhere"}, "desk"), ({"mode": "x"}, "mode")],
)
def test_a_bad_filter_answers_400_naming_the_field(cast, year, params, field):
    response = logged_in(cast.manager).get("/reports/sessions.csv", params)

    assert response.status_code == 400
    assert response.content.decode().startswith(f"{field}:")


@pytest.mark.parametrize("who", ["coordinator", "counselor", "exit_team", "outsider"])
def test_only_managers_and_auditors_export_sessions(cast, year, who):
    response = logged_in(getattr(cast, who)).get("/reports/sessions.csv", {"fy": FY})

    assert response.status_code == 404


def test_an_auditor_exports_the_same_rows_without_naming_the_restricted_case(cast, year):
    rows = csv_of(logged_in(cast.auditor).get("/reports/sessions.csv", {"fy": FY}))

    assert len(rows) == 4
    assert sum(1 for row in rows if row["限定案件"]) == 1


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, {"fy": FY})
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("path", ["/reports/sessions.csv", "/reports/sessions.xlsx"])
def test_the_export_costs_the_same_queries_for_3_sessions_and_30(cast, path):
    case = CaseFactory(opened_at=at(2025, 4, 2))
    finance = Topic.objects.get(code="finance")

    def add(count: int) -> None:
        for day in range(count):
            session = SessionFactory(case=case, started_at=at(2025, 5, 1 + day % 28))
            session.topics.set([finance])
            session.counselors.set([cast.counselor])

    client = logged_in(cast.manager)
    add(3)
    few = _queries(client, path)
    add(27)
    many = _queries(client, path)

    assert few == many
    assert many <= 9


def test_the_csv_of_a_small_year_is_exactly_these_bytes(cast, year):
    normal = year["normal"]
    other = CaseFactory._meta.model.objects.get(desk__code="ip")
    body = b"".join(
        logged_in(cast.manager).get("/reports/sessions.csv", {"fy": FY}).streaming_content
    )

    lines = [
        "\ufeff開始日時,窓口,拠点,相談方法,所要時間（分）,限定案件,案件番号,件名,相談者,相談員,"
        "相談分野,相談内容",
        f"2025-04-06 09:30,{normal.desk.name},,電話,45,,{normal.number},資金繰りの相談,筑波精工,"
        f"{cast.counselor.display_name},資金繰り・財務、労務・人材,資金繰りについて相談",
        f"2025-05-02 10:00,{normal.desk.name},,来所（本部）,60,限定（名称なし）,,,,,,",
        f"2025-06-06 10:00,{normal.desk.name},,オンライン,60,,{normal.number},資金繰りの相談,"
        "筑波精工,,,'=1+2",
        f"2025-06-07 10:00,{desk('ip').name},,来所（本部）,60,,{other.number},{other.title},"
        f"{other.client.name},,,資金繰りについて相談",
    ]
    assert body == ("\r\n".join(lines) + "\r\n").encode("utf-8")


def test_a_year_longer_than_a_streamed_piece_comes_whole_and_neutralised(cast, monkeypatch):
    monkeypatch.setattr(exports, "CSV_PIECE_ROWS", 2)
    case = CaseFactory(opened_at=at(2025, 4, 2))
    for day in range(1, 6):
        SessionFactory(case=case, started_at=at(2025, 5, day), summary=f"=SUM({day})")

    response = logged_in(cast.manager).get("/reports/sessions.csv", {"fy": FY})
    pieces = list(response.streaming_content)
    rows = list(csv.DictReader(io.StringIO(b"".join(pieces).decode("utf-8")[1:])))

    assert len(pieces) == 3  # the header and two rows, two rows, one row
    assert [row["相談内容"] for row in rows] == [f"'=SUM({day})" for day in range(1, 6)]


def test_the_csv_writer_gives_the_same_text_in_pieces_as_row_by_row(monkeypatch):
    rows = [["=1", 1, None], ["a,b", -2, True], ['"q"', 3.5, "@x"], ["改行\nあり", 0, "+"]]
    monkeypatch.setattr(exports, "CSV_PIECE_ROWS", 3)
    whole = "".join(exports.csv_rows(["h", "n", "x"], rows))

    assert whole == (
        '\ufeffh,n,x\r\n\'=1,1,\r\n"a,b",-2,1\r\n"""q""",3.5,\'@x\r\n"改行\nあり",0,\'+\r\n'
    )
    assert "".join(exports.csv_rows(["h"], [])) == "\ufeffh\r\n"


def test_a_restricted_row_leaves_the_selector_unnamed_across_chunks(cast, year):
    filters = ReportFilters(FY)
    rows = list(session_export_rows(user=cast.manager, filters=filters, chunk_size=1))

    assert len(rows) == 4
    hidden = [row for row in rows if row.restricted]
    assert len(hidden) == 1
    assert hidden[0][6:] == ("", "", "", (), (), "")
    first = rows[0]
    assert first.counselors == (cast.counselor.display_name,)
    assert first.topics == ("資金繰り・財務", "労務・人材")


def test_the_start_is_written_in_japan_time_to_the_minute(cast):
    case = CaseFactory(opened_at=at(2025, 4, 1))
    SessionFactory(case=case, started_at=at(2025, 4, 1, 0, 5))  # 2025-03-31 15:05 UTC
    SessionFactory(case=case, started_at=at(2025, 12, 31, 23, 59))

    rows = csv_of(logged_in(cast.manager).get("/reports/sessions.csv", {"fy": FY}))

    assert [row["開始日時"] for row in rows] == ["2025-04-01 00:05", "2025-12-31 23:59"]


@needs_postgres
def test_a_chunk_reads_its_counselors_and_topics_with_its_ids_as_one_parameter(cast, year):
    with CaptureQueriesContext(connection) as captured:
        rows = list(session_export_rows(user=cast.manager, filters=ReportFilters(FY)))

    reads = [q["sql"] for q in captured.captured_queries if "consultationsession_id" in q["sql"]]
    assert len(rows) == 4 and len(reads) == 2
    assert all("= ANY(" in sql and " IN (" not in sql for sql in reads)
