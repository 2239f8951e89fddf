"""Reads of the desk board: the desk's open cases by status and what other apps add below."""

from __future__ import annotations

from dataclasses import dataclass

from casebook.accounts.models import Desk, User
from casebook.common.extensions import BoardExtra, registry
from casebook.intake import policy
from casebook.intake.models import OPEN_STATUSES, Case, CaseStatus
from casebook.intake.selectors.cases import _with_follow_up, case_list_for_user


@dataclass
class BoardColumn:
    status: str
    label: str
    cases: list[Case]


def board_columns(*, user: User, desk: Desk) -> list[BoardColumn]:
    """The desk's open cases the user may see, one column per status, oldest first.

    The cost is the same for 3 cases or 300: one query for the cases, one for the
    co-counselors the offered actions of the queue depend on.
    """
    cases = (
        _with_follow_up(case_list_for_user(user=user).filter(desk=desk, status__in=OPEN_STATUSES))
        .prefetch_related("co_counselors")
        .order_by("opened_at", "pk")
    )
    by_status: dict[str, list[Case]] = {status: [] for status in OPEN_STATUSES}
    for case in cases:
        # Only the queue offers buttons (assign, take); the other columns link to the case.
        case.offered = (
            policy.offered_actions(user, case) if case.status == CaseStatus.INTAKE else frozenset()
        )
        by_status[case.status].append(case)
    return [
        BoardColumn(status=status, label=CaseStatus(status).label, cases=by_status[status])
        for status in OPEN_STATUSES
    ]


def board_extras(*, user: User, desk: Desk) -> list[BoardExtra]:
    """The lists other apps add under the columns (incoming referrals, late reports …)."""
    return registry.board_extras(user, desk)
