"""A case on the exit track is still counted in the report totals (DESIGN §9: aggregate counts
are fine) and is named nowhere in them: the KPI page, its CSV and XLSX and the report API show
the same figures before and after the case went on the track, and never its number, title or
client."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from casebook.common.fiscal import current_fiscal_year
from casebook.reports import selectors
from casebook.reports.selectors import ReportFilters
from tests.factories import (
    ClientFactory,
    SessionFactory,
    exit_candidate,
    on_exit_track,
    response_bytes,
)
from tests.referrals.test_query_budgets import web_as

pytestmark = pytest.mark.django_db

TITLE = "極秘の廃業準備"
CLIENT = "秘匿精機株式会社"


def _figures(user) -> tuple:
    filters = ReportFilters(current_fiscal_year())
    consultations = selectors.consultation_report(user=user, filters=filters)
    cases = selectors.case_report(user=user, filters=filters)
    return (
        consultations.total,
        consultations.unique_clients,
        [(row.key, row.total) for row in consultations.by_desk],
        cases.opened,
        cases.open_cases,
    )


def test_report_totals_count_a_case_on_the_exit_track_and_never_name_it(cast):
    case = exit_candidate(cast, title=TITLE, client=ClientFactory(name=CLIENT))
    SessionFactory(case=case, started_at=timezone.now())
    readers = (cast.manager, cast.auditor, cast.coordinator)
    before = {reader.pk: _figures(reader) for reader in readers}
    assert all(figures[0] >= 1 and figures[3] >= 1 for figures in before.values())

    on_exit_track(case, by=cast.exit_team)

    fy = current_fiscal_year()
    for reader in readers:
        assert _figures(reader) == before[reader.pk], reader.username
        web = web_as(reader)
        bodies = [
            web.get(reverse("reports:kpis"), {"fy": fy}),
            web.get(reverse("reports:consultations_csv"), {"fy": fy}),
            web.get(reverse("reports:cases_csv"), {"fy": fy}),
            web.get(reverse("api-report-consultations"), {"fy": fy}),
            web.get(reverse("api-report-cases"), {"fy": fy}),
        ]
        for response in bodies:
            assert response.status_code == 200, response
            body = response_bytes(response).decode("utf-8-sig", errors="replace")
            assert case.number not in body and TITLE not in body and CLIENT not in body
