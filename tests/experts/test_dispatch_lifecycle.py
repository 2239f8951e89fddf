from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from casebook.common.errors import ActionNotPermitted, ConflictError, TransitionNotAllowed
from casebook.experts import rules, services
from casebook.experts.models import Dispatch, DispatchVisit
from casebook.intake import services as case_services
from tests.factories import (
    CaseFactory,
    ClientFactory,
    DispatchFactory,
    ExpertFactory,
    ProgramFactory,
    SubQuotaFactory,
)


def _today() -> dt.date:
    return timezone.localdate()


def test_a_dispatch_goes_from_request_to_settlement(cast, setting, requested):
    assert requested.status == "requested"
    approved = services.dispatch_approve(dispatch=requested, by=setting.dispatch_coordinator)
    assert approved.status == "approved" and approved.approved_days == Decimal("3.0")
    setting.case.refresh_from_db()
    assert setting.case.status == "dispatch"

    visit = services.visit_schedule(
        dispatch=approved, by=setting.dispatch_coordinator, date=_today(), day_fraction="1.0"
    )
    approved.refresh_from_db()
    assert approved.status == "scheduled"
    services.visit_file_report(visit=visit, by=setting.dispatch_coordinator, report="工程を確認")

    done = services.dispatch_complete(
        dispatch=approved, by=setting.dispatch_coordinator, final_report="改善計画を作成"
    )
    assert done.status == "completed" and done.used_days == Decimal("1.0")
    # 1 day x 40,000 yen x 0.333, rounded down
    assert done.copay_yen == 13_320
    setting.case.refresh_from_db()
    assert setting.case.status == "active"

    settled = services.dispatch_settle(dispatch=done, by=setting.dispatch_coordinator)
    assert settled.status == "closed"
    assert settled.history.first().history_user == setting.dispatch_coordinator


def test_completion_books_the_days_used_and_releases_the_rest(cast, setting, requested):
    services.dispatch_approve(dispatch=requested, by=setting.dispatch_coordinator)
    counts = rules.program_counts(setting.program)
    assert counts.reserved == Decimal("3.0") and counts.used == 0
    services.visit_schedule(
        dispatch=requested, by=setting.dispatch_coordinator, date=_today(), day_fraction="0.5"
    )
    services.dispatch_complete(dispatch=requested, by=setting.dispatch_coordinator)
    counts = rules.program_counts(setting.program)
    assert counts.reserved == 0 and counts.used == Decimal("0.5")


def test_days_not_in_half_day_steps_are_a_field_error_and_nothing_is_saved(cast, setting):
    with pytest.raises(ValidationError) as error:
        services.dispatch_request(
            case=setting.case,
            program=setting.program,
            expert=setting.expert,
            purpose="指導",
            requested_days="1.3",
            by=cast.counselor,
        )
    assert "requested_days" in error.value.error_dict
    assert error.value.error_dict["requested_days"][0].code == "half_day_steps"
    assert not Dispatch.objects.exists()


def test_approval_over_the_quota_is_refused_naming_the_quota(cast, setting, requested):
    setting.program.quota_days = Decimal("2.5")
    setting.program.save(update_fields=["quota_days"])
    with pytest.raises(ConflictError) as error:
        services.dispatch_approve(dispatch=requested, by=setting.dispatch_coordinator)
    assert error.value.code == "quota_exceeded"
    assert setting.program.name in error.value.message and "2.5" in error.value.message
    requested.refresh_from_db()
    assert requested.status == "requested" and requested.approved_days is None
    setting.case.refresh_from_db()
    assert setting.case.status == "active"


def test_a_partial_approval_fits_the_last_days_of_the_quota(cast, setting, requested):
    setting.program.quota_days = Decimal("2.5")
    setting.program.save(update_fields=["quota_days"])
    approved = services.dispatch_approve(
        dispatch=requested, by=setting.dispatch_coordinator, days="2.5"
    )
    assert approved.approved_days == Decimal("2.5")


def test_the_sub_quota_is_enforced_and_free_of_charge(cast, setting):
    covid = SubQuotaFactory(program=setting.program, code="covid", quota_days=Decimal("2.0"))
    dispatch = services.dispatch_request(
        case=setting.case,
        program=setting.program,
        sub_quota=covid,
        expert=setting.expert,
        purpose="感染症対策",
        requested_days="2.5",
        by=cast.counselor,
        submit=True,
    )
    with pytest.raises(ConflictError) as error:
        services.dispatch_approve(dispatch=dispatch, by=setting.dispatch_coordinator)
    assert error.value.code == "sub_quota_exceeded" and covid.name in error.value.message
    approved = services.dispatch_approve(
        dispatch=dispatch, by=setting.dispatch_coordinator, days="2"
    )
    assert approved.copay_yen == 0


def test_the_clients_cap_per_fiscal_year_is_enforced(cast, setting):
    setting.program.max_days_per_client = Decimal("3.0")
    setting.program.save(update_fields=["max_days_per_client"])
    first = DispatchFactory(
        case=setting.case, program=setting.program, status="approved", approved_days=2
    )
    assert first.case.client_id == setting.case.client_id
    second = services.dispatch_request(
        case=setting.case,
        program=setting.program,
        expert=ExpertFactory(),
        purpose="販路開拓",
        requested_days="1.5",
        by=cast.counselor,
        submit=True,
    )
    with pytest.raises(ConflictError) as error:
        services.dispatch_approve(dispatch=second, by=setting.dispatch_coordinator)
    assert error.value.code == "client_cap_exceeded"


def test_the_experts_maximum_per_fiscal_year_is_enforced(cast, setting, requested):
    DispatchFactory(
        expert=setting.expert,
        program=ProgramFactory(code="other"),
        status="completed",
        approved_days=Decimal("48.0"),
        used_days=Decimal("48.0"),
    )
    with pytest.raises(ConflictError) as error:
        services.dispatch_approve(dispatch=requested, by=setting.dispatch_coordinator)
    assert error.value.code == "expert_max_exceeded" and "50" in error.value.message


def test_a_visit_beyond_the_approved_days_is_refused(cast, setting, requested):
    services.dispatch_approve(dispatch=requested, by=setting.dispatch_coordinator, days="1")
    services.visit_schedule(
        dispatch=requested, by=setting.dispatch_coordinator, date=_today(), day_fraction="0.5"
    )
    with pytest.raises(ConflictError) as error:
        services.visit_schedule(
            dispatch=requested,
            by=setting.dispatch_coordinator,
            date=_today() + dt.timedelta(days=1),
            day_fraction="1.0",
        )
    assert error.value.code == "beyond_approved_days"
    assert DispatchVisit.objects.count() == 1


def test_a_visit_on_a_date_the_expert_is_fully_booked_is_refused(cast, setting, requested):
    services.dispatch_approve(dispatch=requested, by=setting.dispatch_coordinator)
    other = DispatchFactory(
        expert=setting.expert, program=setting.program, status="approved", approved_days=2
    )
    day = _today() + dt.timedelta(days=2)
    services.visit_schedule(
        dispatch=other, by=setting.dispatch_coordinator, date=day, day_fraction="0.5"
    )
    services.visit_schedule(
        dispatch=requested, by=setting.dispatch_coordinator, date=day, day_fraction="0.5"
    )
    third = DispatchFactory(
        expert=setting.expert, program=setting.program, status="approved", approved_days=2
    )
    with pytest.raises(ConflictError) as error:
        services.visit_schedule(
            dispatch=third, by=setting.dispatch_coordinator, date=day, day_fraction="0.5"
        )
    assert error.value.code == "expert_fully_booked"
    assert setting.expert.name in error.value.message and str(day) in error.value.message
    assert DispatchVisit.objects.filter(date=day).count() == 2


def test_a_visit_must_be_a_half_or_a_full_day(cast, setting, requested):
    services.dispatch_approve(dispatch=requested, by=setting.dispatch_coordinator)
    with pytest.raises(ValidationError) as error:
        services.visit_schedule(
            dispatch=requested, by=setting.dispatch_coordinator, date=_today(), day_fraction="0.7"
        )
    assert "day_fraction" in error.value.error_dict


def test_cancel_keeps_the_days_visited_and_returns_the_case_to_active(cast, setting, requested):
    services.dispatch_approve(dispatch=requested, by=setting.dispatch_coordinator)
    services.visit_schedule(
        dispatch=requested, by=setting.dispatch_coordinator, date=_today(), day_fraction="1.0"
    )
    services.visit_schedule(
        dispatch=requested,
        by=setting.dispatch_coordinator,
        date=_today() + dt.timedelta(days=3),
        day_fraction="1.0",
    )
    cancelled = services.dispatch_cancel(
        dispatch=requested, by=cast.counselor, reason="相談者の都合"
    )
    assert cancelled.status == "cancelled" and cancelled.used_days == Decimal("1.0")
    assert cancelled.visits.count() == 1
    assert rules.program_counts(setting.program).taken == Decimal("1.0")
    setting.case.refresh_from_db()
    assert setting.case.status == "active"


def test_close_is_refused_while_a_dispatch_is_open(cast, setting, requested):
    with pytest.raises(ConflictError) as error:
        case_services.case_close(
            case=setting.case, by=cast.counselor, reason="resolved", summary="解決"
        )
    assert f"#{requested.pk}" in error.value.message
    services.dispatch_cancel(dispatch=requested, by=cast.counselor, reason="不要になった")
    closed = case_services.case_close(
        case=setting.case, by=cast.counselor, reason="resolved", summary="解決"
    )
    assert closed.status == "closed"


def test_a_request_for_a_closed_or_queued_case_is_refused(cast, setting):
    queued = CaseFactory(status="intake")
    with pytest.raises(TransitionNotAllowed) as error:
        services.dispatch_request(
            case=queued,
            program=setting.program,
            expert=setting.expert,
            purpose="指導",
            requested_days="1",
            by=cast.coordinator,
        )
    assert error.value.current == "intake"


def test_rejecting_needs_a_reason_and_ends_the_request(cast, setting, requested):
    with pytest.raises(ValidationError):
        services.dispatch_reject(dispatch=requested, by=setting.dispatch_coordinator, reason=" ")
    rejected = services.dispatch_reject(
        dispatch=requested, by=setting.dispatch_coordinator, reason="対象外の内容"
    )
    assert rejected.status == "rejected"
    with pytest.raises(TransitionNotAllowed) as error:
        services.dispatch_approve(dispatch=rejected, by=setting.dispatch_coordinator)
    assert error.value.current == "rejected" and error.value.requested == "approve"


def test_only_the_programs_desk_coordinator_or_a_manager_approves(cast, setting, requested):
    for user in (cast.counselor, cast.coordinator, cast.exit_team):
        with translation.override("en"), pytest.raises(ActionNotPermitted) as error:
            services.dispatch_approve(dispatch=requested, by=user)
        assert "program's desk" in error.value.message
    assert services.dispatch_approve(dispatch=requested, by=cast.manager).status == "approved"


def test_a_counselor_of_another_desk_cannot_request_a_dispatch(cast, setting):
    with pytest.raises(ActionNotPermitted):
        services.dispatch_request(
            case=setting.case,
            program=setting.program,
            expert=setting.expert,
            purpose="指導",
            requested_days="1",
            by=cast.colleague,
        )


def test_eligibility_refuses_a_large_company_and_one_outside_the_prefecture(cast, setting):
    large = CaseFactory(
        status="active",
        lead_counselor=cast.counselor,
        client=ClientFactory(size_class="large", employees=2000, capital_yen=10**10),
    )
    with pytest.raises(ValidationError) as error:
        services.dispatch_request(
            case=large,
            program=setting.program,
            expert=setting.expert,
            purpose="指導",
            requested_days="1",
            by=cast.counselor,
        )
    assert error.value.error_dict["program"][0].code == "not_eligible"
    outside = CaseFactory(
        status="active", lead_counselor=cast.counselor, client=ClientFactory(prefecture="栃木県")
    )
    with pytest.raises(ValidationError):
        services.dispatch_request(
            case=outside,
            program=setting.program,
            expert=setting.expert,
            purpose="指導",
            requested_days="1",
            by=cast.counselor,
        )


def test_the_follow_up_program_needs_an_innovation_plan(cast, setting):
    follow_up = ProgramFactory(code="follow", requires_innovation_plan=True)
    with pytest.raises(ValidationError) as error:
        services.dispatch_request(
            case=setting.case,
            program=follow_up,
            expert=setting.expert,
            purpose="フォローアップ",
            requested_days="1",
            by=cast.counselor,
        )
    assert [e.code for e in error.value.error_dict["program"]] == ["not_eligible"]


class RecordingLayer:
    """A channel layer that keeps what it is sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []

    async def group_send(self, group: str, message: dict) -> None:
        self.sent.append((group, message))


def test_the_approval_events_carry_what_a_read_of_the_case_after_the_commit_gives(
    cast, setting, requested, monkeypatch, django_capture_on_commit_callbacks
):
    from casebook.intake import events

    setting.case.co_counselors.add(cast.colleague)
    layer = RecordingLayer()
    monkeypatch.setattr(events, "get_channel_layer", lambda: layer)
    with django_capture_on_commit_callbacks(execute=True):
        services.dispatch_approve(dispatch=requested, by=setting.dispatch_coordinator)
    case = setting.case
    desk_code = case.desk.code
    expected = []
    for kind in ("dispatch_started", "dispatch_approved"):
        reread = events.case_event_message(case_id=case.pk, kind=kind, desk_code=desk_code)
        assert reread["case"]["status"] == "dispatch"
        assert reread["facts"]["co_counselor_ids"] == [cast.colleague.pk]
        expected += [(f"board.{desk_code}", reread), (f"case.{case.pk}", reread)]
    assert layer.sent == expected
