from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.test import Client as WebClient
from django.utils import timezone
from openpyxl import load_workbook

from casebook.common.errors import ActionNotPermitted
from casebook.intake.models import AccessLog, ClientOutcome, Confidentiality
from casebook.reports import selectors, services
from casebook.reports.selectors import ReportFilters
from tests.factories import CaseFactory, ClientFactory, api_as, desk, response_bytes

SECRET = "秘匿の取引先"


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def worked_case(cast, **kwargs):
    case = CaseFactory(status="active", lead_counselor=cast.counselor, **kwargs)
    case.opened_at = timezone.now() - dt.timedelta(days=900)
    case.save(update_fields=["opened_at"])
    return case


def test_value_added_is_operating_profit_plus_personnel_costs_plus_depreciation(cast):
    case = worked_case(cast)
    outcome = services.outcome_record(
        by=cast.counselor,
        case=case,
        reported_on=days_ago(1),
        occasion="closure",
        sales_yen=120_000_000,
        operating_profit_yen=-2_000_000,
        personnel_costs_yen=30_000_000,
        depreciation_yen=5_000_000,
        new_customers=3,
        export_started=True,
        business_status="continued",
    )
    outcome.refresh_from_db()
    assert outcome.value_added_yen == -2_000_000 + 30_000_000 + 5_000_000
    assert (outcome.client_id, outcome.recorded_by) == (case.client_id, cast.counselor)
    assert outcome.history.first().history_user == cast.counselor


def test_a_refused_report_names_each_rule_and_saves_nothing(cast):
    case = worked_case(cast)
    with pytest.raises(ValidationError) as refused:
        services.outcome_record(
            by=cast.counselor,
            case=case,
            reported_on=timezone.localdate() + dt.timedelta(days=1),
            sales_yen=-1,
            operating_profit_yen=1_000_000,
        )
    errors = refused.value.message_dict
    assert set(errors) == {
        "reported_on",
        "sales_yen",
        "personnel_costs_yen",
        "depreciation_yen",
    }
    with pytest.raises(ValidationError) as empty:
        services.outcome_record(by=cast.counselor, case=case, reported_on=days_ago(1))
    assert "__all__" in empty.value.message_dict
    assert not ClientOutcome.objects.exists()


def test_a_report_is_not_dated_before_the_case_opened(cast):
    case = CaseFactory(status="active", lead_counselor=cast.counselor)
    with pytest.raises(ValidationError) as refused:
        services.outcome_record(by=cast.counselor, case=case, reported_on=days_ago(30), employees=5)
    assert set(refused.value.message_dict) == {"reported_on"}


def test_only_those_who_log_sessions_record_and_an_anonymous_case_has_no_one_to_report(cast):
    case = worked_case(cast)
    for user in (cast.manager, cast.auditor, cast.colleague, cast.outsider):
        with pytest.raises(ActionNotPermitted):
            services.outcome_record(by=user, case=case, reported_on=days_ago(1), employees=4)
    services.outcome_record(by=cast.coordinator, case=case, reported_on=days_ago(1), employees=4)
    anonymous = worked_case(cast, client=None, desk=desk("subcontract"))
    with pytest.raises(ActionNotPermitted):
        services.outcome_record(
            by=cast.counselor, case=anonymous, reported_on=days_ago(1), employees=4
        )
    assert ClientOutcome.objects.count() == 1


def test_the_case_page_shows_the_panel_and_the_form_records_a_report(cast):
    case = worked_case(cast)
    web = WebClient()
    web.force_login(cast.counselor)
    page = web.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="outcomes-title"' in page
    assert f"/reports/cases/{case.pk}/outcome/" in page

    form = web.get(f"/reports/cases/{case.pk}/outcome/")
    token = form.context["form"].initial["form_token"]
    answer = web.post(
        f"/reports/cases/{case.pk}/outcome/",
        {
            "occasion": "follow_up",
            "reported_on": days_ago(2).isoformat(),
            "sales_yen": "50000000",
            "operating_profit_yen": "1000000",
            "personnel_costs_yen": "9000000",
            "depreciation_yen": "500000",
            "form_token": token,
        },
    )
    assert answer.status_code == 302
    assert ClientOutcome.objects.get().value_added_yen == 10_500_000
    page = web.get(f"/cases/{case.pk}/").content.decode()
    assert "10,500,000円" in page


def test_the_form_shows_the_rule_at_the_field_and_refuses_those_who_may_not(cast):
    case = worked_case(cast)
    web = WebClient()
    web.force_login(cast.counselor)
    answer = web.post(
        f"/reports/cases/{case.pk}/outcome/",
        {"occasion": "follow_up", "reported_on": days_ago(2).isoformat(), "depreciation_yen": "1"},
    )
    assert answer.status_code == 400
    assert "operating_profit_yen" in answer.context["form"].errors
    manager = WebClient()
    manager.force_login(cast.manager)
    assert manager.get(f"/reports/cases/{case.pk}/outcome/").status_code == 403
    assert 'id="outcomes-title"' not in manager.get(f"/cases/{case.pk}/").content.decode()
    assert not ClientOutcome.objects.exists()


def test_the_api_records_a_report_and_lists_those_of_the_cases_one_sees(cast):
    case = worked_case(cast)
    api = api_as(cast.counselor)
    created = api.post(
        "/api/v1/outcomes/",
        {
            "case": case.pk,
            "reported_on": days_ago(1).isoformat(),
            "employees": 12,
            "operating_profit_yen": 3_000_000,
            "personnel_costs_yen": 40_000_000,
            "depreciation_yen": 2_000_000,
            "patent_filed": True,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["value_added_yen"] == 45_000_000
    listed = api.get(f"/api/v1/outcomes/?case={case.pk}").json()["results"]
    assert [row["id"] for row in listed] == [created.json()["id"]]
    assert (
        api_as(cast.colleague).get(f"/api/v1/outcomes/{created.json()['id']}/").status_code == 404
    )

    refused = api.post(
        "/api/v1/outcomes/",
        {"case": case.pk, "reported_on": days_ago(1).isoformat(), "employees": -1},
        format="json",
    )
    assert refused.status_code == 400
    assert "employees" in str(refused.json())


def _report(cast, client, case, reported_on, **figures):
    ClientOutcome.objects.create(client=client, case=case, reported_on=reported_on, **figures)


def test_the_report_shows_the_change_per_client_and_in_aggregate_recomputed(cast):
    first, second, restricted_client = ClientFactory(), ClientFactory(), ClientFactory()
    case_one = worked_case(cast, client=first)
    case_two = worked_case(cast, client=second)
    secret = worked_case(
        cast, client=restricted_client, confidentiality=Confidentiality.RESTRICTED, title=SECRET
    )
    rows = [
        (first, case_one, dt.date(2024, 6, 1), 100, 10, 30),
        (first, case_one, dt.date(2025, 5, 1), 120, 11, 36),
        (first, case_one, dt.date(2026, 3, 31), 150, 12, 40),  # the last day of FY2025
        (first, case_one, dt.date(2026, 4, 1), 999, 99, 99),  # FY2026: not counted
        (second, case_two, dt.date(2025, 4, 1), 80, 5, None),  # the first day of FY2025
        (restricted_client, secret, dt.date(2024, 1, 10), 200, 20, 50),
        (restricted_client, secret, dt.date(2025, 12, 1), 180, 18, 45),
    ]
    for client, case, day, sales, employees, value_added in rows:
        _report(
            cast,
            client,
            case,
            day,
            sales_yen=sales,
            employees=employees,
            value_added_yen=value_added,
        )
    report = selectors.outcome_report(user=cast.coordinator, filters=ReportFilters(2025))

    first_day, last_day = dt.date(2025, 4, 1), dt.date(2026, 3, 31)
    expected: dict[str, list[int]] = {}
    for index, key in ((3, "sales"), (4, "employees"), (5, "value_added")):
        firsts = lasts = 0
        clients = 0
        for client in (first, second, restricted_client):
            mine = sorted(
                (r for r in rows if r[0] == client and r[2] <= last_day and r[index] is not None),
                key=lambda r: r[2],
            )
            in_year = [r for r in mine if r[2] >= first_day]
            if in_year and mine[0][2] < in_year[-1][2]:
                clients += 1
                firsts += mine[0][index]
                lasts += in_year[-1][index]
        expected[key] = [clients, firsts, lasts]
    assert {r.key: [r.clients, r.first, r.last] for r in report.aggregate} == expected
    assert expected["sales"] == [2, 300, 330]
    assert report.reports == 4 and report.clients == 3
    listed = {row.client_id: row for row in report.page}
    assert set(listed) == {first.pk, second.pk}
    assert listed[first.pk].figures["sales"].change == 50
    assert listed[second.pk].figures["sales"].change is None
    assert report.unlisted_clients == 1


def test_the_clients_not_named_are_those_of_restricted_cases_and_of_cases_the_reader_does_not_see(
    cast,
):
    """For every login of the cast, the clients the report leaves unnamed are exactly those
    whose report of the year is tied to a restricted case or to a case `can_see_case` denies:
    the rule asked of each report's case row gives what the set of visible cases gave."""
    from casebook.intake import policy
    from casebook.intake.models import Case, CaseShare

    def opened(**kwargs):
        case = CaseFactory(**{"status": "active", "lead_counselor": cast.counselor, **kwargs})
        case.opened_at = timezone.now() - dt.timedelta(days=900)
        case.save(update_fields=["opened_at"])
        return case

    own = opened()
    other_desk = opened(desk=desk("ip"), lead_counselor=cast.colleague)
    co_counselled = opened(desk=desk("ip"), lead_counselor=cast.colleague)
    co_counselled.co_counselors.add(cast.counselor)
    shared = opened(desk=desk("ip"), lead_counselor=cast.colleague)
    CaseShare.objects.create(case=shared, desk=desk("yorozu"), source="test")
    restricted = opened(confidentiality=Confidentiality.RESTRICTED)
    unassigned = opened(desk=desk("subcontract"), lead_counselor=None, status="intake")
    cases = [own, other_desk, co_counselled, shared, restricted, unassigned]
    for case in cases:
        _report(cast, case.client, case, dt.date(2025, 6, 1), sales_yen=10)
    _report(cast, ClientFactory(), None, dt.date(2025, 6, 1), sales_yen=10)
    for user in (cast.counselor, cast.colleague, cast.coordinator, cast.manager, cast.auditor):
        user = type(user).objects.get(pk=user.pk)  # the rule read afresh for each login
        report = selectors.outcome_report(user=user, filters=ReportFilters(2025))
        in_scope = selectors.report_outcomes(user=user, filters=ReportFilters(2025))
        scoped_cases = Case.objects.filter(pk__in=in_scope.values("case_id"))
        hidden = {
            case.client_id
            for case in scoped_cases
            if case.confidentiality == Confidentiality.RESTRICTED
            or not policy.can_see_case(user, case)
        }
        assert report.unlisted_clients == len(hidden), user.username
        named = {row.client_id for row in report.page}
        assert not named & hidden, user.username
    manager_report = selectors.outcome_report(user=cast.manager, filters=ReportFilters(2025))
    assert manager_report.unlisted_clients == 1  # the restricted case's client alone


def test_the_report_page_and_api_name_no_client_of_a_restricted_case(cast):
    restricted_client = ClientFactory(name=SECRET)
    secret = worked_case(cast, client=restricted_client, confidentiality=Confidentiality.RESTRICTED)
    _report(cast, restricted_client, secret, dt.date(2025, 6, 1), sales_yen=10)
    _report(cast, restricted_client, secret, dt.date(2025, 9, 1), sales_yen=15)
    web = WebClient()
    web.force_login(cast.manager)
    page = web.get("/reports/outcomes/?fy=2025")
    assert page.status_code == 200
    assert SECRET not in page.content.decode()
    assert "<svg" in page.content.decode()
    body = api_as(cast.manager).get("/api/v1/reports/outcomes/?fy=2025").json()
    assert SECRET not in str(body)
    assert body["aggregate"][0] == {
        "figure": "sales",
        "clients": 1,
        "first": 10,
        "last": 15,
        "change": 5,
        "percent": 50.0,
    }
    assert body["unlisted_clients"] == 1 and body["results"] == []


def test_a_desk_coordinator_reads_the_reports_of_their_desk_only(cast, ip_coordinator):
    yorozu = worked_case(cast)
    ip_case = worked_case(cast, desk=desk("ip"))
    _report(cast, yorozu.client, yorozu, dt.date(2025, 6, 1), employees=3)
    _report(cast, ip_case.client, ip_case, dt.date(2025, 6, 1), employees=7)
    report = selectors.outcome_report(user=ip_coordinator, filters=ReportFilters(2025))
    assert report.clients == 1
    assert [row.client_id for row in report.page] == [ip_case.client_id]
    assert WebClient().get("/reports/outcomes/").status_code in (302, 404)


def test_the_outcome_exports_round_trip_the_aggregate(cast):
    case = worked_case(cast)
    _report(cast, case.client, case, dt.date(2025, 6, 1), sales_yen=100)
    _report(cast, case.client, case, dt.date(2025, 7, 1), sales_yen=160)
    web = WebClient()
    web.force_login(cast.manager)
    text = response_bytes(web.get("/reports/outcomes.csv?fy=2025")).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    sales = [row[4] for row in rows if row[2] == "sales"]
    assert sales == ["1", "100", "160", "60", "60.0"]  # compared, first, latest, change, %
    book = load_workbook(io.BytesIO(response_bytes(web.get("/reports/outcomes.xlsx?fy=2025"))))
    first_sheet = list(book.worksheets[0].iter_rows(values_only=True))
    assert first_sheet[1][1:5] == (1, 100, 160, 60)


def test_restricted_reads_through_the_api_are_logged(cast):
    secret = worked_case(cast, confidentiality=Confidentiality.RESTRICTED)
    outcome = services.outcome_record(
        by=cast.counselor, case=secret, reported_on=days_ago(1), employees=2
    )
    assert api_as(cast.counselor).get(f"/api/v1/outcomes/{outcome.pk}/").status_code == 200
    assert AccessLog.objects.filter(case=secret, user=cast.counselor).exists()
