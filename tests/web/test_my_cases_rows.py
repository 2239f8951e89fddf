"""My cases draws its rows from text kept once per shape (`intake.views.rows.draw_rows`): the
page must be the one its former loops drew, row for row (`tests/web/my_cases_reference.html`
is the page's template as it was), for every shape of a row — with a client or anonymous, a
follow-up past, to come or none, a hold to resume past or to come — with values that need
escaping, in Japanese and in English."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.template import engines
from django.utils import timezone

from casebook.common.fragments import forget_rendered
from casebook.intake.models import Case
from tests.factories import CaseFactory, ClientFactory
from tests.web.conftest import in_english, login

REFERENCE = Path(__file__).with_name("my_cases_reference.html")
CONTEXT_KEYS = ("cases", "follow_ups", "holds", "desks", "may_take_intake", "grace_alerts")


def _blanked(text: str) -> str:
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "CSRF", text)
    text = re.sub(r'"X-CSRFToken": "[^"]*"', "CSRF", text)
    return re.sub(r'nonce="[^"]*"', "NONCE", text)


@pytest.fixture
def every_shape(cast) -> list[Case]:
    today = timezone.localdate()
    company = ClientFactory(name='中島 <製作所> & "株式会社"')
    made = []
    for n, (client, follow_up) in enumerate(
        (
            (company, today - dt.timedelta(days=3)),
            (None, today),
            (company, today + dt.timedelta(days=4)),
            (None, None),
        )
    ):
        made.append(
            CaseFactory(
                client=client,
                title=f"<b>資金繰り</b> & 'その{n}'",
                status="active",
                lead_counselor=cast.counselor,
                next_follow_up=follow_up,
            )
        )
    for resume_by in (today - dt.timedelta(days=2), today + dt.timedelta(days=5)):
        made.append(
            CaseFactory(
                client=None,
                status="on_hold",
                hold_reason='決算書 <待ち> & "確認"',
                resume_by=resume_by,
                lead_counselor=cast.counselor,
            )
        )
    return made


@pytest.mark.parametrize("language", ["ja", "en"])
def test_my_cases_rows_are_the_rows_its_former_loops_drew(cast, client, every_shape, language):
    web = login(client, cast.counselor)
    if language == "en":
        in_english(web)
    for attempt in range(2):  # drawn afresh, then from the kept text
        if attempt == 0:
            forget_rendered()
        response = web.get("/")
        assert response.status_code == 200
        context = {key: response.context[key] for key in CONTEXT_KEYS}
        reference = engines["django"].from_string(REFERENCE.read_text())
        drawn = reference.render(context, response.wsgi_request)
        page = response.content.decode()
        assert _blanked(page) == _blanked(drawn)
        assert page.count("&lt;b&gt;資金繰り&lt;/b&gt;") >= 4
        assert 'class="overdue"' in page
