"""Reads of the desk board: per open status a count and the first cards, the next cards of a
column ("more"), and what other apps add below (docs/performance.md, "The desk board")."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q, QuerySet, Subquery, prefetch_related_objects

from casebook.accounts.models import Desk, User
from casebook.common.extensions import BoardExtra, registry
from casebook.intake import policy
from casebook.intake.models import OPEN_STATUSES, Case, CaseStatus


@dataclass
class BoardColumn:
    status: str
    label: str
    count: int
    cases: list[Case] = field(default_factory=list)
    has_more: bool = False

    @property
    def more_after(self) -> int | None:
        """The last card's id when more cards follow it (the "more" control's cursor)."""
        return self.cases[-1].pk if self.has_more and self.cases else None


# What a card reads of its case (intake/board.html's `card`, `policy.offered_actions`, the
# access log), its client and its lead: the other columns of three wide rows were each
# converted and set on every card's instances (docs/performance.md, "The desk board").
CARD_FIELDS = (
    "number",
    "title",
    "desk_id",
    "status",
    "priority",
    "confidentiality",
    "on_exit_track",
    "opened_at",
    "resume_by",
    "next_follow_up",
    "client__name",
    "lead_counselor__username",
    "lead_counselor__display_name",
)


def board_column_size() -> int:
    return max(settings.CASEBOOK_BOARD_COLUMN_SIZE, 1)


def _desk_open_cases(user: User, desk: Desk) -> QuerySet[Case]:
    return policy.cases_visible_to(user).filter(desk=desk, status__in=OPEN_STATUSES)


def _cards(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """A column's cards in board order: oldest first (index `case_board_h14b`). A card's
    follow-up date is the case's own column (`Case.next_follow_up`).

    With what a card shows of other rows, its client and lead, and of the three rows only the
    columns `CARD_FIELDS` names: not the desk (the board's) nor the intake office, which a list
    row joins and no card shows (docs/performance.md, "The desk board")."""
    return (
        queryset.select_related("client", "lead_counselor")
        .only(*CARD_FIELDS)
        .order_by("opened_at", "pk")
    )


def _offer_actions(user: User, cases: list[Case]) -> None:
    """Only the queue offers buttons (assign, take); the other columns link to the case.

    The co-counselors the offered actions depend on are read for all the queue's cards in
    one query, so the check costs no query per card.
    """
    queue = [case for case in cases if case.status == CaseStatus.INTAKE]
    prefetch_related_objects(queue, "co_counselors")
    for case in cases:
        case.offered = (
            policy.offered_actions(user, case) if case.status == CaseStatus.INTAKE else frozenset()
        )


def board_columns(*, user: User, desk: Desk, size: int | None = None) -> list[BoardColumn]:
    """The desk's open cases the user may see: per status, the count and the `size` oldest.

    The same queries whatever the backlog: the counts, the cards of every column (a bounded
    read per column, one union of them on PostgreSQL), the queue's co-counselors.
    """
    size = size or board_column_size()
    visible = _desk_open_cases(user, desk)
    counts = dict(visible.order_by().values_list("status").annotate(n=Count("pk")))
    shown = [status for status in OPEN_STATUSES if counts.get(status)]
    # Each column's first ids (size + 1 tells whether more follow) are read on the case row
    # alone, so `case_board_order (desk, status, opened_at, id)` serves each column as an
    # index scan that stops after them; the cards are then read by id. Asked for the cards
    # directly, the planner joined every open case of the column to its relations before
    # sorting them (docs/performance.md, "The desk board").
    ids = _column_ids(user, desk, shown, size + 1)
    # Read again under the same filter: a case closed or moved between the two reads is not
    # shown in a column it has left.
    cases = list(_cards(visible.filter(pk__in=ids))) if ids else []
    by_status: dict[str, list[Case]] = {status: [] for status in OPEN_STATUSES}
    for case in sorted(cases, key=lambda case: (case.opened_at, case.pk)):
        by_status[case.status].append(case)
    _offer_actions(user, [case for status in shown for case in by_status[status][:size]])
    return [
        BoardColumn(
            status=status,
            label=CaseStatus(status).label,
            count=counts.get(status, 0),
            cases=by_status[status][:size],
            has_more=len(by_status[status]) > size,
        )
        for status in OPEN_STATUSES
    ]


def _column_ids(user: User, desk: Desk, statuses: list[str], limit: int) -> list[int]:
    """The ids of the first `limit` cases of each column the user may see, in board order
    within a column: one bounded read per column on the case row alone (one `UNION ALL` of
    them where the database takes a LIMIT inside a UNION, PostgreSQL; else a query each)."""
    if not statuses:
        return []
    visible = Case.objects.filter(policy.visible_cases_q(user), desk=desk)
    # The order's column is selected too: a UNION orders its parts only by what they select.
    parts = [
        visible.filter(status=status)
        .order_by("opened_at", "pk")
        .values_list("pk", "opened_at")[:limit]
        for status in statuses
    ]
    if len(parts) > 1 and connection.features.supports_slicing_ordering_in_compound:
        return [pk for pk, _opened in parts[0].union(*parts[1:], all=True)]
    return [pk for part in parts for pk, _opened in part]


def board_card_ids(*, user: User, desk: Desk) -> set[int]:
    """The ids of the cards `board_columns` shows (what a board socket knows of when it
    opens), read as bounded as the board itself."""
    return set(_column_ids(user, desk, list(OPEN_STATUSES), board_column_size()))


def board_column_more(
    *, user: User, desk: Desk, status: str, after: int, size: int | None = None
) -> BoardColumn:
    """The next `size` cards of one column, after the case `after` (keyset: the cards that
    follow it in board order, wherever the column has grown or shrunk since)."""
    size = size or board_column_size()
    if status not in OPEN_STATUSES:
        raise ValueError(f"not an open status: {status}")
    anchor = Case.objects.filter(pk=after).values("opened_at")[:1]
    later = Q(opened_at__gt=Subquery(anchor)) | Q(opened_at=Subquery(anchor), pk__gt=after)
    # The ids on the case row alone (the index `case_board_order` stops after them), then the
    # cards by id, as `board_columns` reads a column.
    ids = list(
        Case.objects.filter(policy.visible_cases_q(user), later, desk=desk, status=status)
        .order_by("opened_at", "pk")
        .values_list("pk", flat=True)[: size + 1]
    )
    column = _desk_open_cases(user, desk).filter(status=status)
    rows = list(_cards(column.filter(pk__in=ids))) if ids else []
    cards = rows[:size]
    _offer_actions(user, cards)
    return BoardColumn(
        status=status,
        label=CaseStatus(status).label,
        count=0,
        cases=cards,
        has_more=len(rows) > size,
    )


def board_extras(*, user: User, desk: Desk) -> list[BoardExtra]:
    """The lists other apps add under the columns (incoming referrals, late reports …)."""
    return registry.board_extras(user, desk)
