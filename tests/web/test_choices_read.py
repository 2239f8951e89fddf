"""The model choices of the forms on GET pages are read by one plain query each, never
through a server-side cursor (docs/performance.md, "The forms' model choices read plainly")."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models.query import QuerySet
from django.forms.models import ModelChoiceIterator
from django.test.utils import CaptureQueriesContext

from casebook.intake.forms import SessionForm
from casebook.intake.views.cases import case_staff
from tests.factories import OfficeFactory
from tests.web.conftest import login


def pages(case) -> list[str]:
    return [
        f"/cases/{case.pk}/",
        f"/cases/{case.pk}/edit/",
        f"/cases/{case.pk}/sessions/new/",
        f"/sessions/{case.sessions.get().pk}/edit/",
        f"/clients/{case.client_id}/",
        f"/clients/{case.client_id}/edit/",
        "/desks/yorozu/board/",
        "/intake/",
        "/search/?q=資金",
    ]


@pytest.fixture
def no_iterator(monkeypatch):
    """`QuerySet.iterator()` (a server-side cursor on PostgreSQL) made to fail."""

    def refused(self, *args, **kwargs):
        raise AssertionError(f"read through iterator(): {self.model.__name__}")

    monkeypatch.setattr(QuerySet, "iterator", refused)


@pytest.mark.parametrize("who", ["counselor", "coordinator", "manager"])
def test_the_pages_with_forms_read_their_model_choices_without_iterator(
    cast, client, active_case, no_iterator, who
):
    for url in pages(active_case):
        response = login(client, getattr(cast, who)).get(url)
        assert response.status_code in (200, 403, 404), url


def test_no_page_with_forms_declares_a_server_side_cursor(cast, client, active_case):
    login(client, cast.coordinator)
    with CaptureQueriesContext(connection) as captured:
        for url in pages(active_case):
            assert client.get(url).status_code == 200, url
    assert [q["sql"] for q in captured.captured_queries if q["sql"].startswith("DECLARE")] == []


def test_the_session_form_offers_the_same_choices_in_the_same_order_as_djangos_iterator(
    cast, active_case
):
    OfficeFactory(), OfficeFactory()
    form = SessionForm(staff=case_staff(active_case))
    for name in ("office", "counselors"):
        field = form.fields[name]
        plain = [(str(value), label) for value, label in field.choices]
        django = [(str(value), label) for value, label in ModelChoiceIterator(field)]
        assert plain == django and len(plain) > 1, name
