from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from casebook.common.japanese import search_key
from casebook.intake.models import Case, Client, ConsultationSession
from casebook.intake.selectors.sessions import sessions_apart_from_their_case
from casebook.reports import selectors
from casebook.reports.selectors import ReportFilters
from tests.factories import ClientFactory

HEADER = "client,client_kana,corporate_number,phone,desk,date,time,duration_minutes,counselor,mode,office,topics,summary\n"  # noqa: E501
GOOD = (
    HEADER
    + "株式会社水戸精機,ミトセイキ,7000012050002,029-000-0000,yorozu,2020-04-01,09:30,90,counselor,in_person_hq,,finance;labour,資金繰りの相談\n"  # noqa: E501
    + "株式会社水戸精機,,7000012050002,,yorozu,2020/05/10,,,counselor,電話,,finance,その後の資金繰り\n"  # noqa: E501
    + "有限会社ひたち,,,0294-11-2222,yorozu,2021-03-31,,,counselor,online,,,販路の相談\n"
    + "有限会社ひたち,,,0294-11-2222,yorozu,2021-04-01,,,counselor,online,,,新年度の販路\n"
)


@pytest.fixture(autouse=True)
def in_english():
    """The command speaks the active language; these tests read its English."""
    with translation.override("en"):
        yield


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "legacy.csv"
    path.write_text("\ufeff" + text, encoding="utf-8")
    return str(path)


def run(path: str, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_legacy", path, "--by", "manager", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_file_imports_its_sessions_into_one_closed_case_per_client_desk_and_year(cast, tmp_path):
    known = ClientFactory(
        name="有限会社ひたち",
        name_search=search_key("有限会社ひたち"),
        phone="0294-11-2222",
        phone_digits="0294112222",
    )

    out, _err = run(write(tmp_path, GOOD))

    assert "imported 4 rows: 4 sessions in 3 cases; clients: 1 matched, 1 new" in out
    assert "8/8" in out  # the progress
    assert Client.objects.count() == 2  # the known client matched by name + phone
    seiki = Client.objects.get(corporate_number="7000012050002")
    case = Case.objects.get(client=seiki)
    assert case.number == "yorozu-2020-00001" and case.status == "closed"
    assert [s.mode for s in case.sessions.order_by("started_at")] == ["in_person_hq", "phone"]
    assert sorted(case.topics.values_list("code", flat=True)) == ["finance", "labour"]
    assert Case.objects.filter(client=known).count() == 2  # FY2020 and FY2021
    assert selectors.consultation_report(user=cast.manager, filters=ReportFilters(2020)).total == 3
    assert not sessions_apart_from_their_case().exists()


def test_a_dry_run_counts_everything_and_writes_nothing(cast, tmp_path):
    out, _err = run(write(tmp_path, GOOD), "--dry-run")

    assert "would import 4 rows" in out and "dry run: nothing written" in out
    assert not Client.objects.exists() and not ConsultationSession.objects.exists()


def test_a_broken_file_names_each_row_and_column_and_imports_nothing(cast, tmp_path):
    broken = (
        GOOD
        + "株式会社X,,7000012050003,,nowhere,2021-13-01,9時,0,ghost,fax,,magic,\n"
        + "株式会社Y,,,,yorozu,2021-04-01,,,colleague,in_person_satellite,,,相談\n"
    )

    with pytest.raises(CommandError, match="nothing was imported"):
        _out, err = run(write(tmp_path, broken))
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_legacy", write(tmp_path, broken), "--by", "manager", stderr=err)
    lines = err.getvalue().splitlines()
    for column in (
        "corporate_number",
        "desk",
        "date",
        "time",
        "duration_minutes",
        "counselor",
        "mode",
        "topics",
        "summary",
    ):
        assert any(line.startswith(f"row 6, {column}:") for line in lines), column
    assert "row 7, counselor: not a member of the yorozu desk" in lines
    assert any(line.startswith("row 7, office:") for line in lines)
    assert not Client.objects.exists() and not ConsultationSession.objects.exists()


def test_a_missing_column_is_named_and_only_a_manager_imports(cast, tmp_path):
    err = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_legacy", write(tmp_path, "client,desk\nA,yorozu\n"), "--by", "manager",
            stderr=err,
        )  # fmt: skip
    assert "row 1, date: the column is missing" in err.getvalue()
    with pytest.raises(CommandError, match="only a manager"):
        call_command("import_legacy", write(tmp_path, GOOD), "--by", "coordinator")
    assert not ConsultationSession.objects.exists()
