from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from casebook.intake.models import CaseTransition
from tests.factories import case_in_state, refer_internal
from tests.web.conftest import in_english, login


def _next_week() -> str:
    return (timezone.localdate() + dt.timedelta(days=7)).isoformat()


def test_the_lead_puts_the_case_on_hold_with_a_reason(cast, client, active_case):
    response = login(client, cast.counselor).post(
        f"/cases/{active_case.pk}/hold/",
        {"hold-reason": "見積書待ち", "hold-resume_by": _next_week()},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{active_case.pk}/"
    active_case.refresh_from_db()
    assert active_case.status == "on_hold" and active_case.hold_reason == "見積書待ち"
    transition = CaseTransition.objects.get(case=active_case, action="hold")
    assert transition.by == cast.counselor


def test_a_hold_without_a_reason_shows_the_error_at_the_field_and_keeps_the_date(
    cast, client, active_case
):
    response = login(client, cast.counselor).post(
        f"/cases/{active_case.pk}/hold/", {"hold-reason": "", "hold-resume_by": _next_week()}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_hold-reason_error"' in page
    assert f'value="{_next_week()}"' in page
    active_case.refresh_from_db()
    assert active_case.status == "active"


def test_an_auditor_who_sees_the_case_gets_403_naming_the_rule(cast, client, active_case):
    response = in_english(login(client, cast.auditor)).post(
        f"/cases/{active_case.pk}/hold/", {"hold-reason": "x", "hold-resume_by": _next_week()}
    )
    assert response.status_code == 403
    assert "a coordinator of the desk or a manager hold it" in response.content.decode()
    active_case.refresh_from_db()
    assert active_case.status == "active"


def test_a_counselor_may_not_reopen_and_gets_403(cast, client):
    closed = case_in_state("closed", lead=cast.counselor, by=cast.coordinator)
    response = in_english(login(client, cast.counselor)).post(
        f"/cases/{closed.pk}/reopen/", {"reopen-reason": "再相談"}
    )
    assert response.status_code == 403
    assert "only a coordinator of the desk or a manager reopens a case" in (
        response.content.decode()
    )
    closed.refresh_from_db()
    assert closed.status == "closed"


def test_a_coordinator_reopens_a_closed_case(cast, client):
    closed = case_in_state("closed", lead=cast.counselor, by=cast.coordinator)
    response = login(client, cast.coordinator).post(
        f"/cases/{closed.pk}/reopen/", {"reopen-reason": "再相談があった"}
    )
    assert response.status_code == 302
    closed.refresh_from_db()
    assert closed.status == "active"


def test_a_user_of_another_desk_gets_404_for_an_action(cast, client, active_case):
    response = login(client, cast.colleague).post(
        f"/cases/{active_case.pk}/hold/",
        {"hold-reason": "x", "hold-resume_by": _next_week()},
    )
    assert response.status_code == 404


def test_resuming_a_case_that_is_not_on_hold_answers_409_naming_both_states(
    cast, client, active_case
):
    response = in_english(login(client, cast.counselor)).post(f"/cases/{active_case.pk}/resume/")
    assert response.status_code == 409
    assert 'The case is in state "active"; "resume" is not possible' in response.content.decode()


def test_resume_returns_a_held_case_to_where_it_was(cast, client):
    held = case_in_state("on_hold", lead=cast.counselor, by=cast.coordinator)
    response = login(client, cast.counselor).post(f"/cases/{held.pk}/resume/")
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == "assigned"


def test_closing_keeps_the_summary_when_the_reason_is_missing(cast, client, active_case):
    response = login(client, cast.counselor).post(
        f"/cases/{active_case.pk}/close/",
        {"close-reason": "", "close-summary": "融資が決まり解決"},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_close-reason_error"' in page
    assert "融資が決まり解決</textarea>" in page
    active_case.refresh_from_db()
    assert active_case.status == "active"


def test_closing_as_a_duplicate_of_an_unknown_number_is_a_field_error(cast, client, active_case):
    response = login(client, cast.counselor).post(
        f"/cases/{active_case.pk}/close/",
        {"close-reason": "duplicate", "close-summary": "重複", "close-duplicate_of": "yorozu-1-1"},
    )
    assert response.status_code == 400
    assert 'id="id_close-duplicate_of_error"' in response.content.decode()


def test_closing_while_a_referral_is_open_says_why_and_keeps_the_summary(cast, client, active_case):
    refer_internal(active_case, "ip", by=cast.counselor)
    response = login(client, cast.counselor).post(
        f"/cases/{active_case.pk}/close/",
        {"close-reason": "resolved", "close-summary": "商標の件は知財窓口へ"},
    )
    page = response.content.decode()
    assert response.status_code == 409
    assert 'class="errorlist nonfield"' in page
    assert "商標の件は知財窓口へ</textarea>" in page
    active_case.refresh_from_db()
    assert active_case.status == "active"


def test_the_lead_closes_the_case(cast, client, active_case):
    response = login(client, cast.counselor).post(
        f"/cases/{active_case.pk}/close/",
        {"close-reason": "resolved", "close-summary": "融資が決まった"},
    )
    assert response.status_code == 302
    active_case.refresh_from_db()
    assert active_case.status == "closed" and active_case.closure_reason == "resolved"


def test_the_action_page_of_a_transition_the_state_forbids_answers_409(cast, client, active_case):
    assert (
        login(client, cast.coordinator).get(f"/cases/{active_case.pk}/reopen/").status_code == 409
    )


def test_a_counselor_gets_403_for_the_assign_page(cast, client, active_case):
    assert login(client, cast.counselor).get(f"/cases/{active_case.pk}/assign/").status_code == 403


def test_assigning_someone_outside_the_desk_is_refused_at_the_field(cast, client, intake_case):
    response = login(client, cast.coordinator).post(
        f"/cases/{intake_case.pk}/assign/", {"assign-counselor": cast.colleague.pk}
    )
    assert response.status_code == 400
    assert 'id="id_assign-counselor_error"' in response.content.decode()
    intake_case.refresh_from_db()
    assert intake_case.status == "intake"


@pytest.mark.parametrize("path", ["hold", "close", "reopen", "assign", "resume"])
def test_actions_of_a_case_nobody_may_see_answer_404(cast, client, path):
    assert login(client, cast.outsider).get(f"/cases/999999/{path}/").status_code == 404


def test_a_coordinator_may_take_an_intake_with_the_take_button(cast, client, intake_case):
    response = login(client, cast.coordinator).post(
        f"/cases/{intake_case.pk}/assign/", {"take": "1"}
    )
    assert response.status_code == 302
    intake_case.refresh_from_db()
    assert intake_case.lead_counselor == cast.coordinator


def test_an_auditor_may_not_take_an_intake(cast, client, intake_case):
    response = login(client, cast.auditor).post(f"/cases/{intake_case.pk}/assign/", {"take": "1"})
    assert response.status_code == 403
