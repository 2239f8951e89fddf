"""A request's objects are freed by their count once its answer is sent, not left in cycles
for the garbage collector (`casebook.common.runtime.free_request_objects`, the template
backend of `casebook.common.template_engine`, `casebook.api.rows.RowListSerializer.data`;
docs/performance.md, "A request's objects freed when its answer is sent")."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from casebook.accounts.models import User
from casebook.intake.models import Case
from tests.factories import CaseFactory, SessionFactory, web_as


def _left_for_the_collector(send: Callable[[], Any]) -> Counter[str]:
    """The kinds of objects that `send()`'s request left in cycles once its answer was
    dropped, by count."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        response = send()
        assert response.status_code == 200
        # The test client's own cycle (`response.json` is a partial of the answer); a server
        # makes none.
        del response.json
        del response
        gc.collect()
        return Counter(type(garbage).__qualname__ for garbage in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


@pytest.fixture
def cases_with_sessions(cast) -> list[Case]:
    cases = CaseFactory.create_batch(5, lead_counselor=cast.counselor)
    for case in cases:
        SessionFactory.create_batch(2, case=case)
    return cases


@pytest.mark.parametrize("url", ["/api/v1/cases/?page_size=50", "/api/v1/sessions/?page_size=50"])
def test_an_api_list_leaves_nothing_in_cycles_once_its_answer_is_sent(
    cast, cases_with_sessions, url
):
    web = web_as(cast.coordinator, first_visit=url)

    left = _left_for_the_collector(lambda: web.get(url, HTTP_ACCEPT="application/json"))

    assert left == Counter()


def test_a_page_leaves_nothing_in_cycles_once_its_answer_is_sent(cast, cases_with_sessions):
    client_page = reverse("client_detail", args=[cases_with_sessions[0].client_id])
    for user, url in ((cast.counselor, "/"), (cast.coordinator, client_page)):
        web = web_as(user, first_visit=url)

        left = _left_for_the_collector(lambda web=web, url=url: web.get(url))

        assert left == Counter(), url


def test_the_request_keeps_its_user_as_read_once_its_answer_is_sent(cast):
    web = web_as(cast.counselor, first_visit="/")

    response = web.get("/")

    assert type(response.wsgi_request.user) is User
    assert response.wsgi_request.user == cast.counselor
    assert response.context["cases"] is not None  # the test client's copy of the context
