"""The exit team's CSV of plans and milestones (docs/exits.md, "Export"): the team and
managers only, streamed, one row per milestone, formulas neutralised, filters refused with
the field named, every restricted case it lists in the access log, and a query cost that does
not grow with the number of plans."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casebook.intake.models import AccessLog
from tests.factories import ClientFactory, exit_candidate, on_exit_track, response_bytes
from tests.referrals.test_query_budgets import web_as

pytestmark = pytest.mark.django_db

URL = reverse("exits:export_csv")
# The session and the login (2), the memberships (1), the cases to log and their log rows (2),
# then each chunk of 200 plans one query and one for its milestones.
EXPORT_BUDGET = 8


def _rows(response) -> list[list[str]]:
    text = response_bytes(response).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_team_exports_every_plan_one_row_per_milestone_and_each_read_is_logged(cast):
    plan = on_exit_track(
        exit_candidate(cast, client=ClientFactory(name="=HYPERLINK(1)")), by=cast.exit_team
    )
    other = on_exit_track(exit_candidate(cast), by=cast.exit_team, path="turnaround")

    response = web_as(cast.exit_team).get(URL)

    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    header, *rows = _rows(response)
    assert header[0] == "案件番号" and "法定期限" in header
    assert len(rows) == plan.milestones.count() + other.milestones.count()
    numbers = {row[0] for row in rows}
    assert numbers == {plan.case.number, other.case.number}
    assert {row[1] for row in rows if row[0] == plan.case.number} == {"'=HYPERLINK(1)"}
    logged = AccessLog.objects.filter(user=cast.exit_team, via="export")
    assert set(logged.values_list("case_id", flat=True)) == {plan.case_id, other.case_id}


def test_the_export_filters_by_path_and_refuses_an_unknown_one_naming_the_field(cast):
    on_exit_track(exit_candidate(cast), by=cast.exit_team, path="orderly_closure")
    turnaround = on_exit_track(exit_candidate(cast), by=cast.exit_team, path="turnaround")
    web = web_as(cast.manager)

    _header, *rows = _rows(web.get(URL, {"path": "turnaround", "on_track": "true"}))
    assert {row[0] for row in rows} == {turnaround.case.number}
    refused = web.get(URL, {"path": "liquidation"})
    assert refused.status_code == 400 and "path" in refused.content.decode()
    assert web.get(URL, {"on_track": "maybe"}).status_code == 400
    assert (
        not AccessLog.objects.filter(user=cast.manager, via="export")
        .exclude(case=turnaround.case)
        .exists()
    )


@pytest.mark.parametrize("who", ["coordinator", "counselor", "auditor", "colleague"])
def test_only_the_team_and_managers_export_the_plans(cast, who):
    on_exit_track(exit_candidate(cast), by=cast.exit_team)
    user = getattr(cast, who)
    assert web_as(user).get(URL).status_code == 403
    assert not AccessLog.objects.filter(user=user).exists()


def test_the_export_costs_the_same_for_few_plans_and_many(cast):
    def export_queries() -> int:
        web = web_as(cast.exit_team)
        with CaptureQueriesContext(connection) as context:
            rows = _rows(web.get(URL))
        assert rows
        return len(context.captured_queries)

    for _n in range(2):
        on_exit_track(exit_candidate(cast), by=cast.exit_team)
    few = export_queries()
    AccessLog.objects.all().delete()
    for _n in range(6):
        on_exit_track(exit_candidate(cast), by=cast.exit_team)
    many = export_queries()
    assert few == many <= EXPORT_BUDGET, (few, many)
