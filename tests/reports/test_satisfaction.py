"""The satisfaction survey's results in the reports: recomputed here from the rows the
factories made (docs/reports.md, "Satisfaction survey")."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client as WebClient
from openpyxl import load_workbook

from casebook.common.fiscal import fiscal_year_of
from casebook.intake.models import Case, Confidentiality
from casebook.reports.models import SatisfactionSurvey
from casebook.reports.selectors import ReportFilters, satisfaction_report, satisfaction_summary
from tests.factories import CaseFactory, api_as, desk, response_bytes, survey_row
from tests.reports.conftest import at

pytestmark = pytest.mark.django_db

FY = 2025
SECRET = "廃業の相談（限定）"
HOSTILE = "<script>alert(1)</script>対応が遅かった"


@pytest.fixture
def surveys(cast):
    yorozu, ip = desk("yorozu"), desk("ip")
    survey_row(sent_at=at(2025, 5, 10), score=5, counselor=cast.counselor, desk=yorozu)
    survey_row(sent_at=at(2025, 5, 20), score=4, counselor=cast.counselor, desk=yorozu)
    survey_row(sent_at=at(2025, 5, 21), counselor=cast.counselor, desk=yorozu)
    survey_row(
        sent_at=at(2025, 10, 1), score=2, comment=HOSTILE, counselor=cast.counselor, desk=yorozu
    )
    survey_row(sent_at=at(2025, 6, 2), score=3, counselor=cast.colleague, desk=ip)
    survey_row(sent_at=at(2025, 6, 3), counselor=cast.colleague, desk=ip)
    survey_row(
        sent_at=at(2025, 7, 1),
        score=1,
        comment="廃業の件で",
        counselor=cast.counselor,
        desk=yorozu,
        confidentiality="restricted",
        on_exit_track=True,
        title=SECRET,
    )
    # the last day of FY2024 and the first of FY2026: not counted in FY2025
    survey_row(sent_at=at(2025, 3, 31, 23, 59), score=5, counselor=cast.counselor, desk=yorozu)
    survey_row(sent_at=at(2026, 4, 1, 0, 0), score=1, counselor=cast.counselor, desk=yorozu)


def logged_in(user) -> WebClient:
    web = WebClient()
    web.force_login(user)
    return web


def recomputed(key) -> dict:
    """Each group's sent, answered, score sum and distribution, from the rows themselves."""
    groups: dict = defaultdict(lambda: {"sent": 0, "answered": 0, "sum": 0, "scores": [0] * 6})
    for survey in SatisfactionSurvey.objects.select_related("desk"):
        if fiscal_year_of(survey.sent_at) != FY:
            continue
        group = groups[key(survey)]
        group["sent"] += 1
        if survey.score is not None:
            group["answered"] += 1
            group["sum"] += survey.score
            group["scores"][survey.score] += 1
    return dict(groups)


def as_figures(row) -> dict:
    return {
        "sent": row.sent,
        "answered": row.answered,
        "sum": row.score_sum,
        "scores": [0, *(row.distribution[s] for s in (1, 2, 3, 4, 5))],
    }


def test_the_report_by_desk_and_counselor_is_what_the_rows_say(cast, surveys):
    report = satisfaction_report(user=cast.manager, filters=ReportFilters(FY))

    assert {row.key: as_figures(row) for row in report.by_desk} == recomputed(lambda s: s.desk.code)
    assert {row.key: as_figures(row) for row in report.by_counselor} == recomputed(
        lambda s: str(s.counselor_id)
    )
    total = recomputed(lambda s: "all")["all"]
    assert as_figures(report.total) == total
    assert report.total.sent == 7 and report.total.answered == 5
    assert report.total.response_rate == Decimal("71.4")
    assert report.total.mean_score == Decimal("3.00")
    months = {row.key: (row.sent, row.answered) for row in report.by_month}
    assert months["2025-05"] == (3, 2) and months["2025-04"] == (0, 0)
    assert len(report.by_month) == 12


def test_the_filters_narrow_the_surveys(cast, surveys):
    yorozu = satisfaction_report(user=cast.manager, filters=ReportFilters(FY, desk=desk("yorozu")))
    assert yorozu.total.sent == 5
    colleague = satisfaction_report(
        user=cast.manager, filters=ReportFilters(FY, counselor=cast.colleague)
    )
    assert (colleague.total.sent, colleague.total.answered) == (2, 1)


def test_a_coordinator_reads_the_figures_of_their_desk_only(cast, surveys, ip_coordinator):
    report = satisfaction_report(user=ip_coordinator, filters=ReportFilters(FY))
    assert [row.key for row in report.by_desk] == ["ip"]
    assert logged_in(cast.outsider).get("/reports/satisfaction/", {"fy": FY}).status_code == 404
    assert (
        logged_in(ip_coordinator)
        .get("/reports/satisfaction/", {"fy": FY, "desk": "yorozu"})
        .status_code
        == 400
    )


def test_the_page_counts_a_restricted_case_and_never_names_it(cast, surveys):
    response = logged_in(cast.manager).get("/reports/satisfaction/", {"fy": FY})
    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["report"].total.sent == 7
    assert SECRET not in body and "廃業の件で" not in body
    assert "<svg" in body
    assert response.context["report"].unlisted_comments == 1


def test_comments_are_shown_to_managers_only_and_escaped(cast, surveys):
    manager = logged_in(cast.manager).get("/reports/satisfaction/", {"fy": FY})
    body = manager.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;対応が遅かった" in body
    assert "<script>alert(1)" not in body
    for reader in (cast.auditor, cast.coordinator):
        page = logged_in(reader).get("/reports/satisfaction/", {"fy": FY})
        assert page.status_code == 200
        assert "対応が遅かった" not in page.content.decode()
        assert page.context["report"].comments is None


def test_the_api_answers_the_same_numbers_as_the_page_and_no_comment(cast, surveys):
    page = logged_in(cast.manager).get("/reports/satisfaction/", {"fy": FY})
    answer = api_as(cast.manager).get("/api/v1/reports/satisfaction/", {"fy": FY})
    assert answer.status_code == 200
    data = answer.json()
    report = page.context["report"]
    assert (data["sent"], data["answered"]) == (report.total.sent, report.total.answered)
    assert data["response_rate"] == 71.4 and data["mean_score"] == 3.0
    assert data["distribution"] == {"5": 1, "4": 1, "3": 1, "2": 1, "1": 1}
    assert [row["key"] for row in data["by_desk"]] == [row.key for row in report.by_desk]
    assert len(data["by_month"]) == 12
    assert "対応が遅かった" not in answer.content.decode()
    assert SECRET not in answer.content.decode()


def test_the_exports_round_trip_the_figures(cast, surveys):
    web = logged_in(cast.manager)
    text = response_bytes(web.get("/reports/satisfaction.csv", {"fy": FY})).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    total = rows[1]
    assert total[4:8] == ["7", "5", "71.4", "3.00"]
    assert total[8:] == ["1", "1", "1", "1", "1"]
    assert "対応が遅かった" not in text and SECRET not in text
    book = load_workbook(
        io.BytesIO(response_bytes(web.get("/reports/satisfaction.xlsx", {"fy": FY})))
    )
    assert list(book.worksheets[0].iter_rows(values_only=True))[1][1:3] == (7, 5)
    by_desk = list(book.worksheets[2].iter_rows(values_only=True))[1:]
    assert sum(row[1] for row in by_desk) == 7


def test_the_summary_gives_a_year_or_a_month(cast, surveys):
    year = satisfaction_summary(user=cast.manager, fiscal_year=FY)
    assert (year.sent, year.answered, year.mean_score) == (7, 5, Decimal("3.00"))
    may = satisfaction_summary(user=cast.manager, fiscal_year=FY, month=5)
    assert (may.sent, may.answered, may.mean_score) == (3, 2, Decimal("4.50"))
    april_2026 = satisfaction_summary(user=cast.manager, fiscal_year=2026, month=4)
    assert april_2026.sent == 1
    march = satisfaction_summary(user=cast.manager, fiscal_year=2024, month=3)
    assert (march.sent, march.mean_score) == (1, Decimal("5.00"))
    ip_only = satisfaction_summary(user=cast.manager, fiscal_year=FY, desk=desk("ip"))
    assert (ip_only.sent, ip_only.answered) == (2, 1)
    assert satisfaction_summary(user=cast.outsider, fiscal_year=FY).sent == 0
    assert satisfaction_summary(user=cast.manager, fiscal_year=2030).mean_score is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan")
def test_the_comments_of_restricted_cases_are_found_from_the_restricted_cases_index(db):
    """The comments left out (cases restricted since) are found among the restricted cases
    alone, a partial index of about one case in a hundred, not by a scan of every case
    (docs/performance.md, "Every list on the decade")."""
    CaseFactory(confidentiality=Confidentiality.RESTRICTED)
    CaseFactory()
    restricted = Case.objects.filter(confidentiality=Confidentiality.RESTRICTED).values("pk")
    with connection.cursor() as cursor:
        # A table of two rows is read whole at any cost: the plan is asked for as on a large
        # one, where a scan of every case is what the index saves.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        plan = SatisfactionSurvey.objects.exclude(case_id__in=restricted).explain()
    assert "case_restricted" in plan
