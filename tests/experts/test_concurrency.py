from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from casebook.common.errors import ConflictError
from casebook.experts import rules, services
from casebook.experts.models import ConflictDeclaration, Dispatch
from casebook.experts.services import dispatches as dispatches_module
from tests.concurrency import while_held
from tests.factories import (
    CaseFactory,
    ConflictDeclarationFactory,
    DispatchFactory,
    ExpertFactory,
)
from tests.markers import needs_postgres

RACERS = 24


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_approvals_racing_for_the_last_days_never_exceed_the_quota(cast, setting):
    program = setting.program
    program.quota_days = Decimal("10.0")
    program.save(update_fields=["quota_days"])
    # 6.0 days already gone: 4.0 left for 24 requests of 1.0 day each.
    DispatchFactory(program=program, status="completed", approved_days=6, used_days=6)
    pending = [
        DispatchFactory(
            program=program,
            expert=ExpertFactory(),
            case=CaseFactory(status="active", lead_counselor=cast.counselor),
            requested_days=Decimal("1.0"),
        )
        for _ in range(RACERS)
    ]
    start = threading.Barrier(RACERS)
    outcomes: list[tuple[str, str]] = []
    lock = threading.Lock()

    def approve(dispatch: Dispatch) -> None:
        try:
            start.wait()
            services.dispatch_approve(dispatch=dispatch, by=setting.dispatch_coordinator)
            result = ("approved", "")
        except ConflictError as error:
            result = (error.code, error.message)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=approve, args=(d,)) for d in pending]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(outcomes) == RACERS
    winners = [o for o in outcomes if o[0] == "approved"]
    losers = [o for o in outcomes if o[0] != "approved"]
    assert len(winners) == 4
    assert all(code == "quota_exceeded" and program.name in message for code, message in losers)
    assert rules.program_counts(program).taken == Decimal("10.0")
    assert Dispatch.objects.filter(status="approved").count() == 4


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_visits_never_book_an_expert_beyond_one_day(cast, setting):
    import datetime as dt

    from django.utils import timezone

    day = timezone.localdate() + dt.timedelta(days=5)
    dispatches = [
        DispatchFactory(
            program=setting.program,
            expert=setting.expert,
            status="approved",
            approved_days=Decimal("2.0"),
            approved_at=timezone.now(),
        )
        for _ in range(8)
    ]
    start = threading.Barrier(len(dispatches))
    codes: list[str] = []

    def book(dispatch: Dispatch) -> None:
        try:
            start.wait()
            services.visit_schedule(
                dispatch=dispatch, by=setting.dispatch_coordinator, date=day, day_fraction="0.5"
            )
            codes.append("booked")
        except ConflictError as error:
            codes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=(d,)) for d in dispatches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == ["booked"] * 2 + ["expert_fully_booked"] * 6


def approval_held_while(monkeypatch, dispatch: Dispatch, by, then):
    """`dispatch_approve` held under its locks (program, dispatch, expert) while `then` runs
    in another transaction (docs/performance.md, "Row locks: FOR NO KEY UPDATE")."""
    return while_held(
        monkeypatch,
        dispatches_module,
        "refuse_over_capacity",
        hold=lambda: services.dispatch_approve(dispatch=dispatch, by=by),
        then=then,
    )


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_dispatch_of_the_expert_and_program_is_written_while_an_approval_holds_both(
    cast, setting, requested, monkeypatch
):
    """The new row's keys to the program and the expert are checked with FOR KEY SHARE, which
    the approval's locks (FOR NO KEY UPDATE) leave free; FOR UPDATE held it until the approval
    ended, past a one-second lock_timeout."""
    written: list[Dispatch] = []

    hold_errors, then_errors = approval_held_while(
        monkeypatch,
        requested,
        setting.dispatch_coordinator,
        lambda: written.append(DispatchFactory(program=setting.program, expert=setting.expert)),
    )

    assert hold_errors == [] and then_errors == []
    requested.refresh_from_db()
    assert requested.status == "approved"
    assert Dispatch.objects.filter(pk=written[0].pk, expert=setting.expert).exists()


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_conflict_declared_by_the_expert_is_saved_while_an_approval_holds_the_expert(
    cast, setting, requested, monkeypatch
):
    hold_errors, then_errors = approval_held_while(
        monkeypatch,
        requested,
        setting.dispatch_coordinator,
        lambda: ConflictDeclarationFactory(expert=setting.expert),
    )

    assert hold_errors == [] and then_errors == []
    assert ConflictDeclaration.objects.filter(expert=setting.expert).count() == 1


@needs_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_visit_planned_for_the_expert_still_waits_for_an_approval_that_holds_the_expert(
    cast, setting, requested, monkeypatch
):
    """The expert's day rule: a second taker of the expert's lock waits for the first."""
    approved = DispatchFactory(
        program=setting.program,
        expert=setting.expert,
        status="approved",
        approved_days=Decimal("2.0"),
        approved_at=timezone.now(),
    )

    hold_errors, then_errors = approval_held_while(
        monkeypatch,
        requested,
        setting.dispatch_coordinator,
        lambda: services.visit_schedule(
            dispatch=approved,
            by=setting.dispatch_coordinator,
            date=timezone.localdate() + dt.timedelta(days=5),
            day_fraction="0.5",
        ),
    )

    assert hold_errors == []
    assert [type(e) for e in then_errors] == [OperationalError]
    assert "lock timeout" in str(then_errors[0])
    assert not approved.visits.exists()
