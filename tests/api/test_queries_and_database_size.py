"""The lists cost the same number of queries whatever the database holds: a page read on a
small load and again after five times more clients, cases and sessions were added."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from casebook.intake.models import Case
from tests.web.conftest import login


def _load(scale: str, seed: str) -> None:
    call_command("generate_load", "--force", "--scale", scale, "--seed", seed, stdout=StringIO())


def _queries(client, url: str) -> int:
    client.get(url)  # the first read of the day writes the access log; the next ones do not
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def _busiest_client(user) -> int:
    return (
        Case.objects.filter(desk__code="yorozu")
        .values("client_id")
        .annotate(n=Count("id"))
        .order_by("-n", "client_id")[0]["client_id"]
    )


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("coordinator", "/api/v1/cases/?page_size=50"),
        ("coordinator", "/api/v1/sessions/?page_size=50"),
        ("counselor", "/api/v1/sessions/?page_size=50"),
        ("counselor", "/"),
        ("coordinator", "/clients/{client}/"),
    ],
)
def test_a_list_costs_the_same_queries_on_a_five_times_larger_database(cast, client, who, url):
    user = getattr(cast, who)
    login(client, user)
    _load("0.001", "1")
    small = _queries(client, url.format(client=_busiest_client(user)))
    _load("0.005", "2")
    assert Case.objects.count() == 1_200
    large = _queries(client, url.format(client=_busiest_client(user)))
    assert small == large
