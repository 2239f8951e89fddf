"""The API's cursor pages where the first key of the order repeats: a cursor holds the values
of every key of the order up to its unique one, so `previous` gives back the page before and
a walk either way lists every row once (docs/architecture.md, "The API")."""

from __future__ import annotations

import base64
import datetime as dt
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from casebook.exits.models import Milestone
from casebook.intake.api.views import CaseViewSet
from casebook.intake.models import Case
from tests.factories import CaseFactory, exit_candidate, on_exit_track


def _forward(api, url: str) -> list[dict]:
    pages = []
    while url:
        pages.append(api.get(url).json())
        url = pages[-1]["next"]
    return pages


def _backward(api, url: str) -> list[dict]:
    pages = []
    while url:
        pages.append(api.get(url).json())
        url = pages[-1]["previous"]
    return pages[::-1]


def _ids(pages: list[dict]) -> list[int]:
    return [row["id"] for page in pages for row in page["results"]]


@pytest.fixture
def tied_cases(cast) -> list[Case]:
    """Eleven cases: seven share a status and a priority, every opening time is one of two."""
    at = timezone.now().replace(microsecond=0)
    cases = [
        CaseFactory(status="intake", priority="normal", opened_at=at - dt.timedelta(days=n % 2))
        for n in range(7)
    ]
    cases += [
        CaseFactory(status=status, priority="high", opened_at=at, lead_counselor=cast.counselor)
        for status in ("active", "assigned", "active", "assigned")
    ]
    return cases


def test_the_previous_of_a_page_among_equal_first_keys_is_the_page_before(cast, api_as, tied_cases):
    api = api_as(cast.manager)
    first = api.get("/api/v1/cases/?ordering=-status&page_size=2").json()
    second = api.get(first["next"]).json()
    third = api.get(second["next"]).json()
    # The three pages hold "intake" cases only: no row of them has a first key of its own.
    pages = (first, second, third)
    assert {row["status"] for page in pages for row in page["results"]} == {"intake"}
    back_to_second = api.get(third["previous"]).json()
    assert back_to_second["results"] == second["results"]
    back_to_first = api.get(back_to_second["previous"]).json()
    assert back_to_first["results"] == first["results"]
    assert back_to_first["previous"] is None
    assert api.get(back_to_first["next"]).json()["results"] == second["results"]


@pytest.mark.parametrize("key", list(CaseViewSet.ordering_fields))
@pytest.mark.parametrize("direction", ["", "-"])
def test_walking_the_case_list_either_way_lists_every_case_once_in_its_order(
    cast, api_as, tied_cases, key, direction
):
    api = api_as(cast.manager)
    ordering = f"{direction}{key}"
    whole = api.get(f"/api/v1/cases/?ordering={ordering}&page_size=200").json()["results"]
    expected = [row["id"] for row in whole]
    assert sorted(expected) == sorted(case.pk for case in tied_cases)
    pages = _forward(api, f"/api/v1/cases/?ordering={ordering}&page_size=3")
    assert _ids(pages) == expected
    # From the last page back to the first, each `previous` the page before it.
    back = _backward(api, pages[-1]["previous"])
    assert _ids(back) + [row["id"] for row in pages[-1]["results"]] == expected
    assert [page["results"] for page in back] == [page["results"] for page in pages[:-1]]


def test_the_previous_of_a_page_left_empty_is_the_last_page(cast, api_as, tied_cases):
    api = api_as(cast.manager)
    pages = _forward(api, "/api/v1/cases/?ordering=status&page_size=4")
    after_second = pages[1]["next"]
    Case.objects.filter(pk__in=_ids(pages[2:])).delete()
    emptied = api.get(after_second).json()
    assert emptied["results"] == [] and emptied["next"] is None
    assert api.get(emptied["previous"]).json()["results"] == pages[1]["results"]


def test_a_cursor_of_the_earlier_form_is_refused_as_a_bad_request(cast, api_as, tied_cases):
    api = api_as(cast.manager)
    for tokens in ({"o": "2", "p": "intake"}, {"p": "intake"}, {"r": "1", "p": '["intake"]'}):
        cursor = base64.b64encode(urlencode(tokens).encode()).decode()
        response = api.get("/api/v1/cases/", {"ordering": "status", "cursor": cursor})
        assert response.status_code == 400, tokens
        assert response.json()["errors"][0]["field"] == "cursor"


def test_a_milestone_walk_by_due_date_lists_the_undated_ones_once_either_way(cast, api_as):
    for title in ("事業承継の相談", "第三者承継の相談"):
        on_exit_track(exit_candidate(cast, title=title), by=cast.exit_team)
    milestones = list(Milestone.objects.order_by("id"))
    assert len(milestones) >= 6
    # Every third one undated, the others on two dates only.
    today = timezone.localdate()
    for n, milestone in enumerate(milestones):
        milestone.due_on = None if n % 3 == 0 else today + dt.timedelta(days=n % 2)
    Milestone.objects.bulk_update(milestones, ["due_on"])
    api = api_as(cast.exit_team)
    for ordering in ("due_on", "-due_on"):
        url = f"/api/v1/exit-milestones/?ordering={ordering}"
        expected = [row["id"] for row in api.get(f"{url}&page_size=200").json()["results"]]
        assert sorted(expected) == [m.pk for m in milestones]
        pages = _forward(api, f"{url}&page_size=2")
        assert _ids(pages) == expected
        back = _backward(api, pages[-1]["previous"])
        assert [page["results"] for page in back] == [page["results"] for page in pages[:-1]]
