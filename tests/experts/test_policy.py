"""The experts policy: what the dispatch page offers to whom, in which state, and what it
refuses (docs/architecture.md, "The policy authority")."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from casebook.common.errors import ActionNotPermitted, TransitionNotAllowed
from casebook.experts import policy, selectors, services
from casebook.intake.models import AccessLog
from tests.factories import CaseFactory, DispatchFactory, UserFactory


def _expert_login(setting):
    login = UserFactory(username="expert.policy")
    setting.expert.user = login
    setting.expert.save(update_fields=["user"])
    return login


def _offered(user, dispatch) -> frozenset[str]:
    return policy.offered_actions(user, selectors.dispatch_get_for_user(user=user, pk=dispatch.pk))


def test_the_programs_coordinator_is_offered_the_decision_but_not_the_case_file(
    cast, setting, requested
):
    offered = _offered(setting.dispatch_coordinator, requested)

    assert {"approve", "reject", "cancel", "read_history"} <= offered
    assert not {"open_case", "submit", "complete", "settle", "print_order"} & offered


def test_the_requester_may_edit_and_cancel_a_pending_request_and_open_its_case(
    cast, setting, requested
):
    offered = _offered(cast.counselor, requested)

    assert {"edit", "cancel", "open_case", "read_history"} <= offered
    assert not {"approve", "reject", "submit"} & offered


def test_the_expert_is_offered_visits_and_reports_of_an_approved_dispatch_and_no_history(
    cast, setting, requested
):
    login = _expert_login(setting)
    services.dispatch_approve(dispatch=requested, by=setting.dispatch_coordinator)
    visit = services.visit_schedule(
        dispatch=requested, by=login, date=timezone.localdate(), day_fraction="1.0"
    )

    offered = _offered(login, requested)

    assert {"schedule", "report", "final_report", "print_order"} <= offered
    assert not {"approve", "cancel", "read_history", "open_case"} & offered
    assert policy.visit_actions(offered, visit) == {"report", "unschedule"}


def test_a_filed_final_report_is_no_longer_offered(cast, setting, requested):
    services.dispatch_approve(dispatch=requested, by=setting.dispatch_coordinator)
    services.visit_schedule(
        dispatch=requested,
        by=setting.dispatch_coordinator,
        date=timezone.localdate(),
        day_fraction="1.0",
    )
    assert "final_report" in _offered(setting.dispatch_coordinator, requested)

    services.dispatch_file_final_report(
        dispatch=requested, by=setting.dispatch_coordinator, text="指導を終えました"
    )

    assert "final_report" not in _offered(setting.dispatch_coordinator, requested)


def test_require_offered_names_the_rule_for_a_missing_role_and_both_states_for_a_wrong_state(
    cast, setting, requested
):
    with pytest.raises(ActionNotPermitted) as refused:
        policy.require_offered(cast.counselor, requested, "approve")
    assert str(refused.value.message) == str(policy.RULES[policy.DispatchAction.APPROVE])

    approved = services.dispatch_approve(dispatch=requested, by=setting.dispatch_coordinator)
    with pytest.raises(TransitionNotAllowed) as wrong_state:
        policy.require_offered(setting.dispatch_coordinator, approved, "approve")
    assert (wrong_state.value.current, wrong_state.value.requested) == ("approved", "approve")
    assert wrong_state.value.current_label and wrong_state.value.requested_label


def test_a_step_sent_from_a_page_read_before_another_change_answers_409_and_changes_nothing(
    cast, setting, requested
):
    browser = Client()
    browser.force_login(setting.dispatch_coordinator)
    read_version = requested.version
    services.dispatch_update(dispatch=requested, by=cast.counselor, purpose="工程改善と品質管理")

    response = browser.post(
        reverse("experts:action", args=[requested.pk, "approve"]),
        {"approve-version": read_version, "approve-days": ""},
    )

    assert response.status_code == 409
    requested.refresh_from_db()
    assert requested.status == "requested"


def test_reading_a_dispatch_of_a_restricted_case_is_logged_by_the_page_not_the_selector(cast):
    restricted = DispatchFactory(
        case=CaseFactory(
            status="active", lead_counselor=cast.exit_team, confidentiality="restricted"
        ),
    )

    selectors.dispatch_get_for_user(user=cast.exit_team, pk=restricted.pk)
    assert not AccessLog.objects.exists()

    browser = Client()
    browser.force_login(cast.exit_team)
    assert browser.get(reverse("experts:dispatch", args=[restricted.pk])).status_code == 200
    assert list(AccessLog.objects.values_list("user_id", "case_id", "via")) == [
        (cast.exit_team.pk, restricted.case_id, "dispatch:web")
    ]
