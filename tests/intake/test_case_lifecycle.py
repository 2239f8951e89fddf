from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from casebook.common.errors import ConflictError, StaleVersion, TransitionNotAllowed
from casebook.common.extensions import registry
from casebook.intake import services
from casebook.intake.models import CaseTransition
from tests.factories import case_in_state, duplicate_closed_into_survivor

STATES = ["intake", "assigned", "active", "dispatch", "on_hold", "closed"]
NEXT_WEEK = dt.timedelta(days=7)


def do(action: str, case, cast):
    """Perform `action` as the yorozu coordinator (who holds every role needed)."""
    by = cast.coordinator
    if action == "assign":
        counselor = cast.counselor if case.lead_counselor_id != cast.counselor.pk else by
        return services.case_assign(case=case, counselor=counselor, by=by)
    if action == "hold":
        return services.case_hold(
            case=case, by=by, reason="資料待ち", resume_by=timezone.localdate() + NEXT_WEEK
        )
    if action == "resume":
        return services.case_resume(case=case, by=by)
    if action == "close":
        return services.case_close(case=case, by=by, reason="resolved", summary="解決")
    if action == "reopen":
        return services.case_reopen(case=case, by=by, reason="再相談")
    raise ValueError(action)


LEGAL = {
    ("intake", "assign"): "assigned",
    ("assigned", "assign"): "assigned",
    ("active", "assign"): "active",
    ("dispatch", "assign"): "dispatch",
    ("on_hold", "assign"): "on_hold",
    ("assigned", "hold"): "on_hold",
    ("active", "hold"): "on_hold",
    ("on_hold", "resume"): "assigned",  # the fixture holds an assigned case
    ("intake", "close"): "closed",
    ("assigned", "close"): "closed",
    ("active", "close"): "closed",
    ("on_hold", "close"): "closed",
    ("closed", "reopen"): "active",
}
ACTIONS = ["assign", "hold", "resume", "close", "reopen"]
ILLEGAL = [(s, a) for s in STATES for a in ACTIONS if (s, a) not in LEGAL]


@pytest.mark.parametrize(("state", "action"), list(LEGAL))
def test_every_legal_transition_reaches_its_state(cast, state, action):
    case = case_in_state(state, lead=cast.counselor, by=cast.coordinator)
    case = do(action, case, cast)
    assert case.status == LEGAL[(state, action)]
    case.refresh_from_db()
    assert case.status == LEGAL[(state, action)]


@pytest.mark.parametrize(("state", "action"), ILLEGAL)
def test_every_illegal_transition_names_the_current_and_requested_state(cast, state, action):
    case = case_in_state(state, lead=cast.counselor, by=cast.coordinator)
    with pytest.raises(TransitionNotAllowed) as refused:
        do(action, case, cast)
    assert (refused.value.current, refused.value.requested) == (state, action)
    case.refresh_from_db()
    assert case.status == state


def test_resume_returns_an_assigned_case_to_assigned(cast):
    case = case_in_state("assigned", lead=cast.counselor, by=cast.coordinator)
    case = do("hold", case, cast)
    assert do("resume", case, cast).status == "assigned"


def test_the_first_session_moves_an_assigned_case_to_active(cast):
    case = case_in_state("assigned", lead=cast.counselor, by=cast.coordinator)
    started = timezone.now() - dt.timedelta(hours=3)
    services.session_log(
        case=case,
        by=cast.counselor,
        started_at=started,
        duration_minutes=30,
        mode="phone",
        summary="電話相談",
    )
    case.refresh_from_db()
    assert case.status == "active"
    assert case.first_session_at == started


def test_a_dispatch_moves_an_active_case_to_dispatch_and_back(cast):
    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    case = services.case_dispatch_started(case=case, by=cast.coordinator)
    assert case.status == "dispatch"
    assert services.case_dispatch_ended(case=case, by=cast.coordinator).status == "active"


def test_a_case_closed_from_the_queue_reopens_into_the_queue(cast):
    case = case_in_state("closed_from_intake", lead=cast.counselor, by=cast.coordinator)
    assert do("reopen", case, cast).status == "intake"


@pytest.mark.parametrize(
    ("reason", "summary", "field"),
    [
        ("", "解決", "reason"),
        ("resolved", "", "summary"),
        ("resolved", "   ", "summary"),
        ("finished", "解決", "reason"),
    ],
)
def test_close_is_refused_without_a_valid_reason_or_a_summary(cast, reason, summary, field):
    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    with pytest.raises(ValidationError) as refused:
        services.case_close(case=case, by=cast.counselor, reason=reason, summary=summary)
    assert field in refused.value.message_dict
    case.refresh_from_db()
    assert case.status == "active"


def test_closing_a_duplicate_requires_the_surviving_case(cast):
    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    with pytest.raises(ValidationError) as refused:
        services.case_close(case=case, by=cast.counselor, reason="duplicate", summary="重複")
    assert "duplicate_of" in refused.value.message_dict


def test_closing_a_duplicate_moves_its_sessions_to_the_survivor(cast):
    duplicate, survivor = duplicate_closed_into_survivor(lead=cast.counselor, by=cast.coordinator)
    assert survivor.sessions.count() == 1
    assert duplicate.sessions.count() == 0
    moved = survivor.sessions.get()
    assert moved.history.first().history_user == cast.coordinator


def test_close_is_refused_while_an_app_reports_open_work(cast):
    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator)

    def open_dispatch(c):
        return "a dispatch of this case is still open" if c.pk == case.pk else None

    registry.add_close_blocker(open_dispatch)
    try:
        with pytest.raises(ConflictError, match="dispatch of this case is still open"):
            do("close", case, cast)
    finally:
        registry.close_blockers.remove(open_dispatch)
    case.refresh_from_db()
    assert case.status == "active"


def test_hold_needs_a_reason_and_a_future_resume_date(cast):
    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    with pytest.raises(ValidationError) as refused:
        services.case_hold(
            case=case,
            by=cast.counselor,
            reason="",
            resume_by=timezone.localdate() - dt.timedelta(days=1),
        )
    assert set(refused.value.message_dict) == {"reason", "resume_by"}


def test_reopen_needs_a_reason(cast):
    case = case_in_state("closed", lead=cast.counselor, by=cast.coordinator)
    with pytest.raises(ValidationError) as refused:
        services.case_reopen(case=case, by=cast.coordinator, reason=" ")
    assert "reason" in refused.value.message_dict


def test_every_transition_is_recorded_with_who_and_why(cast):
    case = case_in_state("active", lead=cast.counselor, by=cast.coordinator)
    do("hold", case, cast)
    actions = list(
        CaseTransition.objects.filter(case=case).values_list("action", "to_status", "by__username")
    )
    assert actions == [
        ("assign", "assigned", "coordinator"),
        ("start", "active", "counselor"),
        ("hold", "on_hold", "coordinator"),
    ]
    assert CaseTransition.objects.get(case=case, action="hold").reason == "資料待ち"


def test_reassignment_ends_the_previous_assignment(cast):
    case = case_in_state("assigned", lead=cast.counselor, by=cast.coordinator)
    services.case_assign(case=case, counselor=cast.coordinator, by=cast.coordinator, reason="交代")
    assignments = list(case.assignments.order_by("assigned_at", "id"))
    assert [a.counselor for a in assignments] == [cast.counselor, cast.coordinator]
    assert assignments[0].ended_at is not None and assignments[1].ended_at is None


def test_co_counselors_come_from_the_case_desk(cast):
    case = case_in_state("assigned", lead=cast.counselor, by=cast.coordinator)
    services.case_update(
        case=case, by=cast.coordinator, expected_version=None, co_counselors=[cast.exit_team]
    )
    assert list(case.co_counselors.all()) == [cast.exit_team]
    for stranger in (cast.colleague, cast.outsider):
        with pytest.raises(ValidationError) as refused:
            services.case_update(
                case=case, by=cast.coordinator, expected_version=None, co_counselors=[stranger]
            )
        assert refused.value.error_dict["co_counselors"][0].code == "not_desk_staff"
    assert list(case.co_counselors.all()) == [cast.exit_team]


def _next_year(case) -> dt.date:
    return case.opened_at.date().replace(year=case.opened_at.year + 1)


STALE_TRANSITIONS = {
    "assign": (
        "active",
        lambda case, cast, v: services.case_assign(
            case=case, counselor=cast.coordinator, by=cast.coordinator, expected_version=v
        ),
    ),
    "hold": (
        "active",
        lambda case, cast, v: services.case_hold(
            case=case,
            by=cast.coordinator,
            reason="待ち",
            resume_by=_next_year(case),
            expected_version=v,
        ),
    ),
    "resume": (
        "on_hold",
        lambda case, cast, v: services.case_resume(
            case=case, by=cast.coordinator, expected_version=v
        ),
    ),
    "close": (
        "active",
        lambda case, cast, v: services.case_close(
            case=case, by=cast.coordinator, reason="resolved", summary="解決", expected_version=v
        ),
    ),
    "reopen": (
        "closed",
        lambda case, cast, v: services.case_reopen(
            case=case, by=cast.coordinator, reason="再相談", expected_version=v
        ),
    ),
}


@pytest.mark.parametrize("action", sorted(STALE_TRANSITIONS))
def test_a_transition_made_against_an_older_version_is_refused_and_changes_nothing(cast, action):
    state, perform = STALE_TRANSITIONS[action]
    case = case_in_state(state, lead=cast.counselor, by=cast.coordinator)
    version = case.version
    with pytest.raises(StaleVersion):
        perform(case, cast, version - 1)
    case.refresh_from_db()
    assert (case.status, case.version) == (state, version)
    changed = perform(case, cast, version)
    assert changed.version == version + 1
