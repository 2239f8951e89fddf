from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from casebook.accounts.models import DeskRole
from casebook.common.fragments import field_once
from casebook.intake import services
from casebook.intake.forms import AssignForm, CloseForm, HoldForm, ReopenForm
from casebook.intake.models import AccessLog, ClosureReason
from casebook.intake.selectors.timeline import TIMELINE_PAGE
from casebook.intake.views.cases import case_staff
from tests.factories import SessionFactory, case_in_state, member
from tests.web.conftest import in_english, login


@pytest.mark.parametrize("who", ["counselor", "coordinator", "manager", "auditor", "exit_team"])
def test_the_case_page_opens_for_everyone_who_may_see_the_case(cast, client, active_case, who):
    response = login(client, getattr(cast, who)).get(f"/cases/{active_case.pk}/")
    assert response.status_code == 200
    assert active_case.number in response.content.decode()


@pytest.mark.parametrize("who", ["colleague", "outsider"])
def test_a_case_the_user_may_not_see_answers_404(cast, client, active_case, who):
    user = getattr(cast, who)
    assert login(client, user).get(f"/cases/{active_case.pk}/").status_code == 404
    assert login(client, user).get(f"/cases/{active_case.pk}/timeline/").status_code == 404


def test_a_restricted_case_answers_404_to_a_plain_desk_member(cast, client, restricted_case):
    assert login(client, cast.counselor).get(f"/cases/{restricted_case.pk}/").status_code == 404
    assert login(client, cast.auditor).get(f"/cases/{restricted_case.pk}/").status_code == 404


def test_reading_a_restricted_case_is_written_to_the_access_log(cast, client, restricted_case):
    response = login(client, cast.exit_team).get(f"/cases/{restricted_case.pk}/")
    assert response.status_code == 200
    assert AccessLog.objects.filter(user=cast.exit_team, case=restricted_case).exists()


def test_the_case_page_has_presence_and_a_timeline_the_live_part_can_refill(
    cast, client, active_case
):
    page = login(client, cast.counselor).get(f"/cases/{active_case.pk}/").content.decode()
    assert f'<div id="presence" data-case="{active_case.pk}"' in page
    assert f'data-timeline-url="/cases/{active_case.pk}/timeline/"' in page
    assert f'data-user="{cast.counselor.pk}"' in page
    assert "casebook/live.js" in page


def test_the_timeline_shows_status_changes_with_who_and_why(cast, client, active_case):
    services.case_hold(
        case=active_case,
        by=cast.counselor,
        reason="決算書の提出待ち",
        resume_by=active_case.opened_at.date().replace(year=active_case.opened_at.year + 1),
    )
    page = login(client, cast.coordinator).get(f"/cases/{active_case.pk}/").content.decode()
    timeline = page[page.index('id="timeline"') :]
    assert "決算書の提出待ち" in timeline
    assert str(cast.counselor) in timeline
    assert "entry-transition" in timeline
    assert "entry-assignment" in timeline
    assert "entry-session" in timeline and "初回相談" in timeline


def test_the_timeline_shows_history_diffs_to_those_who_may_read_history(cast, client, active_case):
    services.case_update(
        case=active_case, by=cast.counselor, expected_version=None, title="補助金の申請支援"
    )
    page = login(client, cast.coordinator).get(f"/cases/{active_case.pk}/").content.decode()
    diff = page[page.index('class="diff"') :]
    assert "<del>資金繰りの相談</del>" in diff and "<ins>補助金の申請支援</ins>" in diff


def test_a_desk_counselor_not_on_the_case_sees_no_history_diffs(cast, client, active_case):
    other = services.case_assign(case=active_case, counselor=cast.coordinator, by=cast.coordinator)
    services.case_update(case=other, by=cast.coordinator, expected_version=None, title="改題")
    page = login(client, cast.counselor).get(f"/cases/{active_case.pk}/").content.decode()
    assert 'class="diff"' not in page


def test_the_timeline_partial_is_only_the_timeline(cast, client, active_case):
    response = login(client, cast.counselor).get(f"/cases/{active_case.pk}/timeline/")
    page = response.content.decode()
    assert response.status_code == 200
    assert '<ol class="timeline">' in page and "<html" not in page


def test_the_case_page_offers_only_the_actions_the_user_may_take(cast, client, active_case):
    lead_page = login(client, cast.counselor).get(f"/cases/{active_case.pk}/").content.decode()
    assert f"/cases/{active_case.pk}/sessions/new/" in lead_page
    assert f'action="/cases/{active_case.pk}/hold/"' in lead_page
    assert f'action="/cases/{active_case.pk}/close/"' in lead_page
    assert f'action="/cases/{active_case.pk}/assign/"' not in lead_page
    assert f'action="/cases/{active_case.pk}/resume/"' not in lead_page
    auditor_page = login(client, cast.auditor).get(f"/cases/{active_case.pk}/").content.decode()
    assert f"/cases/{active_case.pk}/sessions/new/" not in auditor_page
    assert 'method="post" action="/cases/' not in auditor_page


def test_the_fiscal_year_shows_with_its_japanese_era(cast, client, active_case):
    page = login(client, cast.counselor).get(f"/cases/{active_case.pk}/").content.decode()
    assert f"{active_case.fiscal_year}年度（令和" in page


def test_history_names_topics_and_leaves_out_what_was_set_at_intake(cast, client):
    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator, topics=["finance"])
    services.case_update(
        case=case, by=cast.counselor, expected_version=None, topics=["finance", "grants"]
    )
    page = login(client, cast.counselor).get(f"/cases/{case.pk}/").content.decode()
    diffs = page.split('class="diff"')[1:]
    assert len(diffs) == 1
    assert "<ins>資金繰り・財務、補助金・助成金</ins>" in diffs[0]


def test_a_long_timeline_shows_its_newest_entries_and_the_whole_of_it_one_link_away(
    cast, client, active_case
):
    now = timezone.now()
    for n in range(TIMELINE_PAGE + 5):
        SessionFactory(
            case=active_case, started_at=now - dt.timedelta(minutes=n + 1), summary=f"経過{n}回目"
        )
    web = login(client, cast.counselor)
    page = web.get(f"/cases/{active_case.pk}/").content.decode()
    timeline = _timeline_of(page)
    assert timeline.count('class="entry entry-') == TIMELINE_PAGE
    # The newest first: the first session logged (two hours ago) and the oldest of these wait.
    assert "経過0回目" in timeline
    assert f"経過{TIMELINE_PAGE + 4}回目" not in timeline and "初回相談" not in timeline
    assert f'href="/cases/{active_case.pk}/?timeline=all#timeline-title"' in timeline

    whole = web.get(f"/cases/{active_case.pk}/?timeline=all").content.decode()
    timeline = _timeline_of(whole)
    assert f"経過{TIMELINE_PAGE + 4}回目" in timeline and "初回相談" in timeline
    assert "?timeline=all#timeline-title" not in timeline
    # The live refresh keeps the reader's choice.
    assert f'data-timeline-url="/cases/{active_case.pk}/timeline/?timeline=all"' in whole
    partial = web.get(f"/cases/{active_case.pk}/timeline/").content.decode()
    assert partial.count('class="entry entry-') == TIMELINE_PAGE
    partial = web.get(f"/cases/{active_case.pk}/timeline/?timeline=all").content.decode()
    assert "初回相談" in partial


def _timeline_of(page: str) -> str:
    start = page.index('id="timeline"')
    return page[start : page.index("</section>", start)]


def test_a_short_timeline_has_no_link_to_more(cast, client, active_case):
    page = login(client, cast.counselor).get(f"/cases/{active_case.pk}/").content.decode()
    assert "初回相談" in _timeline_of(page)
    assert "?timeline=all" not in page


# --- the action forms' fields, drawn once per set of choices --------------------------------

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|"X-CSRFToken": "[^"]+"')


def _action_forms(case) -> list:
    staff = case_staff(case)
    return [
        AssignForm(prefix="assign", staff=staff),
        HoldForm(prefix="hold"),
        CloseForm(prefix="close"),
        ReopenForm(prefix="reopen"),
    ]


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_action_forms_drawn_from_reused_text_are_the_fields_drawn_afresh(
    cast, active_case, language
):
    member("yorozu", DeskRole.COORDINATOR, display_name="<b>小林 & 子</b>")
    drawn = []
    with translation.override(language):
        for _round in range(2):  # the first draws and keeps the text, the second reuses it
            for form in _action_forms(active_case):
                for field in form:
                    afresh = render_to_string("includes/field.html", {"field": field})
                    assert field_once(field) == afresh
                    drawn.append(afresh)
    assert any("&lt;b&gt;小林 &amp; 子&lt;/b&gt;</option>" in text for text in drawn)


def test_the_case_page_draws_the_select_options_once_and_then_reuses_them(
    cast, client, active_case
):
    web = login(client, cast.coordinator)
    first = web.get(f"/cases/{active_case.pk}/")
    second = web.get(f"/cases/{active_case.pk}/")
    option = "django/forms/widgets/select_option.html"
    assert option in [t.name for t in first.templates]
    assert option not in [t.name for t in second.templates]
    assert CSRF.sub("", first.content.decode()) == CSRF.sub("", second.content.decode())


def test_a_counselor_who_joins_the_desk_is_offered_on_the_next_request(cast, client, active_case):
    web = login(client, cast.coordinator)
    assert "新人 花子" not in web.get(f"/cases/{active_case.pk}/").content.decode()
    member("yorozu", DeskRole.COUNSELOR, display_name="新人 花子")
    page = web.get(f"/cases/{active_case.pk}/").content.decode()
    assert re.search(r'<option value="\d+">新人 花子</option>', page)


def test_the_closure_reasons_follow_the_language_of_the_request(cast, client, active_case):
    web = login(client, cast.coordinator)
    japanese = web.get(f"/cases/{active_case.pk}/").content.decode()
    english = in_english(web).get(f"/cases/{active_case.pk}/").content.decode()
    reason = ClosureReason.choices[0][1]
    with translation.override("ja"):
        assert f">{reason}</option>" in japanese
    with translation.override("en"):
        assert f">{reason}</option>" in english
    assert japanese.count("</option>") == english.count("</option>")


def test_a_bound_form_is_drawn_with_its_values_and_errors(cast, active_case):
    form = CloseForm({"close-duplicate_of": "x" * 41}, prefix="close")
    assert not form.is_valid()
    drawn = field_once(form["duplicate_of"])
    assert 'class="errorlist"' in drawn and "x" * 41 in drawn
    assert drawn == render_to_string("includes/field.html", {"field": form["duplicate_of"]})


def test_the_assign_form_reads_its_counselors_in_one_plain_query(cast, active_case):
    form = AssignForm(prefix="assign", staff=case_staff(active_case))
    with CaptureQueriesContext(connection) as captured:
        drawn = field_once(form["counselor"])
    assert len(captured.captured_queries) == 1
    assert not captured.captured_queries[0]["sql"].startswith("DECLARE")  # no server cursor
    assert str(cast.counselor) in drawn and str(cast.coordinator) in drawn


def test_the_case_page_reads_its_referrals_and_dispatches_without_compiling_them(
    cast, client, active_case, monkeypatch
):
    from django.db.models.sql.compiler import SQLCompiler

    from casebook.experts.models import Dispatch
    from casebook.referrals.models import Referral
    from tests.factories import DispatchFactory, refer_internal

    refer_internal(active_case, "ip", by=cast.counselor, handoff_note="知財の相談")
    dispatch = DispatchFactory(case=active_case, status="requested")
    web = login(client, cast.coordinator)
    first = web.get(f"/cases/{active_case.pk}/")
    compiled = []
    as_sql = SQLCompiler.as_sql

    def recorded(self, *args, **kwargs):
        compiled.append(self.query.model)
        return as_sql(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", recorded)
    again = web.get(f"/cases/{active_case.pk}/")
    assert compiled and Referral not in compiled and Dispatch not in compiled
    page = again.content.decode()
    assert "知財の相談" in page and dispatch.expert.name in page
    assert len(again.content) == len(first.content)
