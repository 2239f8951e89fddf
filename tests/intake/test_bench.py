"""`manage.py bench` runs its reads and writes on a generated decade and reports each one:
a line that breaks (an HTTP error, a write the rules refuse) shows as failed, not as a figure."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

LINES = (
    "case_list_api_coordinator_50",
    "sessions_api_manager_50",
    "search_web_2_chars",
    "case_page",
    "desk_board_yorozu",
    "client_page",
    "session_create",
    "dispatch_approve",
)


@pytest.mark.django_db
def test_the_bench_measures_every_line_asked_for_on_a_small_decade(tmp_path):
    call_command("generate_load", "--force", "--scale", "0.005", stdout=StringIO())
    out, err = StringIO(), StringIO()
    report = tmp_path / "bench.json"
    call_command(
        "bench",
        "--repeat",
        "2",
        "--only",
        ",".join(LINES),
        "--out",
        str(report),
        stdout=out,
        stderr=err,
    )
    assert "failed" not in out.getvalue(), out.getvalue() + err.getvalue()
    measured = {line["name"]: line for line in json.loads(report.read_text())["results"]}
    assert set(measured) == set(LINES)
    assert all(line["queries"] > 0 and line["p95_ms"] > 0 for line in measured.values())
    # Each read's time is split between its statements and the rest of the request.
    reads = [
        line
        for name, line in measured.items()
        if name not in ("session_create", "dispatch_approve")
    ]
    for line in reads:
        assert 0 < line["sql_p50_ms"] < line["p95_ms"], line
        assert line["python_p50_ms"] > 0, line


@pytest.mark.django_db
def test_the_route_bench_times_every_route_without_a_parameter_for_each_login(tmp_path):
    from casebook.common.routes import all_routes

    call_command("generate_load", "--force", "--scale", "0.001", stdout=StringIO())
    report = tmp_path / "routes.json"
    out = StringIO()
    call_command(
        "bench_routes",
        "--repeat",
        "1",
        "--logins",
        "manager",
        "--skip",
        "reports:sessions_xlsx",
        "--out",
        str(report),
        stdout=out,
    )
    results = json.loads(report.read_text())["results"]
    expected = {
        route.name
        for route in all_routes()
        if route.name and not route.is_admin and not route.has_parameters
    } - {"reports:sessions_xlsx"}
    assert {row["route"] for row in results} == expected
    assert {row["login"] for row in results} == {"manager"}
    by_route = {row["route"]: row for row in results}
    # Every read the manager may make was answered, with its queries and its bytes.
    for name in ("reports:kpis", "case-list", "referral-list", "home", "reports:outcomes_csv"):
        row = by_route[name]
        assert row["status"] == 200 and row["queries"] > 0 and row["bytes"] > 0, row
    assert [row["best_ms"] for row in results] == sorted(
        (row["best_ms"] for row in results), reverse=True
    )
