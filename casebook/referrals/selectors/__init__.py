"""Reads of referrals and partners, keyword-only, already filtered by the referrals policy
(`casebook.referrals.policy`), never writing.

Every referral read goes through `referral_list_for_user`; a getter answers 404 for what its
reader may not see. Whoever shows a referral records the read of a restricted case with
`intake.services.access_log_record` (the cases are `policy.cases_read_through`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from casebook.accounts.models import Desk, User
from casebook.common.paging import PAGE_SIZE, Page, page_of
from casebook.common.prepared import PreparedRead
from casebook.intake import policy as case_policy
from casebook.intake.models import Case, CaseStatus, Confidentiality, ConsultationSession
from casebook.referrals import policy
from casebook.referrals.models import (
    OPEN_STATUSES,
    Partner,
    Referral,
    ReferralKind,
    ReferralStatus,
)
from casebook.referrals.selectors.reports import (
    DeskMatrix,
    DeskPairRow,
    PartnerRow,
    referral_desk_matrix,
    referral_partner_report,
)

RS = ReferralStatus
LOOP_WINDOW = dt.timedelta(days=30)
# What a referral's pages, rows and answers show of it, joined in with the referral itself.
REFERRAL_JOINS = (
    "from_case__desk",
    "from_case__client",
    "from_case__lead_counselor",
    "to_desk",
    "to_partner",
    "created_case__desk",
    "existing_case",
    "referred_by",
    "responded_by",
)
# Fewer joins where fewer relations are shown: PostgreSQL's planning of the nine above took
# longer than reading a case's referrals or a board's list of them (docs/performance.md,
# "The case page", "The desk board"). What a one-line row shows (`Referral.__str__`, its
# link, the client's name), the lists under the desk board:
REFERRAL_ROW_JOINS = ("from_case__desk", "from_case__client", "to_desk", "to_partner")
# What the case page shows of its referrals: the panel's rows and the timeline's steps.
REFERRAL_CASE_JOINS = ("from_case__desk", "to_desk", "to_partner", "referred_by", "responded_by")


def referral_list_for_user(
    *, user: User, noted: bool = True, to_desk: Desk | None = None
) -> QuerySet[Referral]:
    """The referrals `user` may see, with the rows their pages and rows show joined in (the
    referring case's topics, which only a hand-off shows, are left to `with_handoff`).

    `noted=False`: without the notes of which of its cases `user` may see
    (`policy.referrals_visible_to`); `referral_pages` takes them for its rows when asked.
    `to_desk`: only the internal referrals addressed to that desk, under the rule narrowed to
    them (`policy.visible_referrals_q`).
    """
    if to_desk is None:
        visible = policy.referrals_visible_to(user, noted=noted)
    else:
        to_desk_only = Referral.objects.filter(kind=ReferralKind.INTERNAL, to_desk=to_desk)
        visible = policy.referrals_visible_to(
            user, to_desk_only, noted=noted, to_desk_id=to_desk.pk
        )
    return visible.select_related(*REFERRAL_JOINS)


def as_rows(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    """`referrals` with only what a one-line row of each shows joined in."""
    return referrals.select_related(None).select_related(*REFERRAL_ROW_JOINS)


def with_handoff(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    """`referrals` with what `policy.handoff_view` reads of each (the referring case's topics)
    loaded in one query for all of them."""
    return referrals.prefetch_related("from_case__topics")


def referral_get_for_user(*, user: User, pk: Any) -> Referral:
    """The referral if `user` may see it, else 404."""
    try:
        return referral_list_for_user(user=user).get(pk=pk)
    except (Referral.DoesNotExist, ValueError, TypeError):
        raise Http404("no such referral") from None


def _shown_with_case() -> QuerySet[Referral]:
    return Referral.objects.select_related(*REFERRAL_CASE_JOINS).order_by("-referred_at", "-pk")


# The referrals of a case its reader sees: no rule in the statement (the policy lets every
# referral out of or into a seen case pass), the same for every reader and case but for the
# case's id, so compiled once per process and only executed after (docs/performance.md, "The
# case page's reads compiled once").
_OF_SEEN_CASE = PreparedRead(
    Referral, lambda case_id: _shown_with_case().filter(policy.of_case_q(case_id)), args=(int,)
)


def referrals_for_case(*, user: User, case: Case) -> list[Referral]:
    """The referrals out of `case` and into it that `user` may see, newest first, with what the
    case page shows of them joined in; read by a statement compiled once when `user` sees the
    case (`policy.referrals_of_case_visible_to`)."""
    return policy.referrals_of_case_visible_to(
        user, case, _shown_with_case(), read_seen=_OF_SEEN_CASE
    )


def incoming_referrals_for_desk(
    *,
    user: User,
    desk: Desk,
    statuses: Iterable[str] | None = (RS.PENDING,),
    noted: bool = True,
) -> QuerySet[Referral]:
    """Internal referrals to `desk` awaiting its answer, the most urgent first.

    `statuses=None` lists them all (answered ones after the waiting ones); `noted` as
    `referral_list_for_user`.
    """
    queryset = referral_list_for_user(user=user, noted=noted, to_desk=desk)
    if statuses is not None:
        queryset = queryset.filter(status__in=list(statuses))
    return queryset.order_by("-status", "due_on", "-referred_at", "-pk")


def outgoing_referrals_for_desk(*, user: User, desk: Desk) -> QuerySet[Referral]:
    return (
        referral_list_for_user(user=user)
        .filter(from_case__desk=desk)
        .order_by("-referred_at", "-pk")
    )


def overdue_referrals_for_desk(
    *, user: User, desk: Desk, today: dt.date | None = None, noted: bool = True
) -> QuerySet[Referral]:
    """Open referrals past their due date that concern `desk`, on either side.

    Incoming: awaiting `desk`'s acceptance. Outgoing: `desk`'s referrals still waiting for the
    other desk's answer or for a partner's acknowledgement or outcome. `noted` as
    `referral_list_for_user`. The rule asks which of these referrals' cases the reader may see
    as a set (`policy.visible_referrals_q`'s `among`): joined to each referral's two cases, it
    was most of the desk board's planning (docs/performance.md, "The desk board").
    """
    today = today or timezone.localdate()
    # Every desk's overdue referrals: what the list's own row holds, no join to narrow the
    # cases the rule is asked of.
    overdue = Referral.objects.filter(status__in=OPEN_STATUSES, due_on__lt=today)
    concerned = overdue.filter(
        Q(kind=ReferralKind.INTERNAL, to_desk=desk) | Q(from_case__desk=desk)
    )
    return (
        policy.referrals_visible_to(user, concerned, noted=noted, among=overdue)
        .select_related(*REFERRAL_JOINS)
        .order_by("due_on", "referred_at", "pk")
    )


def referral_page(
    *, user: User, referrals: QuerySet[Referral], number: int = 1, size: int = PAGE_SIZE
) -> Page:
    """Page `number` of `referrals` (a list read for `user`), `size` rows at the most, each
    row with `client_name`, the client as the reader may see it; one query whatever the page
    (and one more for the notes of a list read without them, when a row asks: see
    `referral_pages`)."""
    return referral_pages(user=user, lists=[referrals], number=number, size=size)[0]


def referral_pages(
    *,
    user: User,
    lists: Sequence[QuerySet[Referral]],
    number: int = 1,
    size: int = PAGE_SIZE,
) -> list[Page]:
    """Page `number` of each of `lists` as `referral_page` reads one. The rows of lists read
    without the notes (`noted=False`) share one set of them, taken when a row first asks
    (`policy.note_cases_when_asked`): one query for all the pages' rows, none when no row
    asks — the client's name asks only of a restricted referring case."""
    pages = [page_of(referrals, number=number, size=size) for referrals in lists]
    policy.note_cases_when_asked(user, [referral for page in pages for referral in page])
    for page in pages:
        for referral in page:
            referral.client_name = policy.client_name_shown(user, referral)
    return pages


def sessions_visible_through(*, user: User, referral: Referral) -> QuerySet[ConsultationSession]:
    """The referring case's sessions (its file), when the reader may see that case."""
    if not policy.can_see_full_file(user, referral):
        return ConsultationSession.objects.none()
    return ConsultationSession.objects.filter(case_id=referral.from_case_id).order_by(
        "-started_at", "-pk"
    )


def pending_internal_referral(*, case: Case) -> Referral | None:
    """A pending internal referral out of `case` (first) or into it, else None."""
    waiting = (
        Referral.objects.filter(Q(from_case=case) | Q(created_case=case))
        .filter(kind=ReferralKind.INTERNAL, status=RS.PENDING)
        .select_related("to_desk", "from_case__desk")
    )
    # The newest outgoing one first, as the case page names it.
    return min(waiting, key=lambda r: (r.from_case_id != case.pk, -r.pk), default=None)


# --- flags raised when a case is referred to a desk ---------------------------------------


def existing_open_case(
    *, desk: Desk, client_id: int | None, exclude: Case | None = None
) -> Case | None:
    """The receiving desk's newest open case for the client (never a restricted one)."""
    if client_id is None:
        return None
    queryset = (
        Case.objects.filter(desk=desk, client_id=client_id)
        .exclude(status=CaseStatus.CLOSED)
        .exclude(confidentiality=Confidentiality.RESTRICTED)
        .select_related("desk")
        .order_by("-opened_at", "-pk")
    )
    if exclude is not None:
        queryset = queryset.exclude(pk=exclude.pk)
    return queryset.first()


def loop_referral(*, from_case: Case, to_desk: Desk, at: dt.datetime) -> Referral | None:
    """A referral of the same client from `to_desk` back to `from_case.desk` in the 30 days
    before `at`."""
    if from_case.client_id is None:
        return None
    return (
        Referral.objects.filter(
            kind=ReferralKind.INTERNAL,
            from_case__desk=to_desk,
            from_case__client_id=from_case.client_id,
            to_desk_id=from_case.desk_id,
            referred_at__gte=at - LOOP_WINDOW,
        )
        .order_by("-referred_at", "-pk")
        .first()
    )


@dataclass(frozen=True)
class ReferralFlags:
    """What referring `from_case` to a desk would flag (never refuse)."""

    existing_case: Case | None
    existing_case_visible: bool
    loop: Referral | None

    @property
    def raised(self) -> bool:
        return self.existing_case is not None or self.loop is not None


def referral_flags(
    *, user: User, from_case: Case, to_desk: Desk, at: dt.datetime | None = None
) -> ReferralFlags:
    """The flags of a referral of `from_case` to `to_desk`: an open case of the client there
    (and whether `user` may see it, to name it and attach to it), a loop back."""
    existing = existing_open_case(desk=to_desk, client_id=from_case.client_id)
    return ReferralFlags(
        existing_case=existing,
        existing_case_visible=existing is not None and case_policy.can_see_case(user, existing),
        loop=loop_referral(from_case=from_case, to_desk=to_desk, at=at or timezone.now()),
    )


def desks_to_refer_to(*, from_case: Case) -> QuerySet[Desk]:
    """Every active desk but the case's own: a referral goes to a desk, seen or not."""
    return Desk.objects.filter(active=True).exclude(pk=from_case.desk_id)


# --- partners -------------------------------------------------------------------------------


def partner_list_for_user(*, user: User, include_inactive: bool = False) -> QuerySet[Partner]:
    """The partner registry, for the staff who may see it (nobody else gets a row)."""
    if not policy.may_see_partners(user):
        return Partner.objects.none()
    queryset = Partner.objects.all()
    return queryset if include_inactive else queryset.filter(active=True)


def partner_get_for_user(*, user: User, pk: Any) -> Partner:
    try:
        return partner_list_for_user(user=user, include_inactive=True).get(pk=pk)
    except (Partner.DoesNotExist, ValueError, TypeError):
        raise Http404("no such partner") from None


def active_partner_get(*, pk: Any) -> Partner:
    """Any active partner (a referral names the partner it goes to)."""
    return Partner.objects.get(pk=pk, active=True)


__all__ = [
    "LOOP_WINDOW",
    "PAGE_SIZE",
    "REFERRAL_CASE_JOINS",
    "REFERRAL_JOINS",
    "REFERRAL_ROW_JOINS",
    "DeskMatrix",
    "DeskPairRow",
    "Page",
    "PartnerRow",
    "ReferralFlags",
    "active_partner_get",
    "as_rows",
    "desks_to_refer_to",
    "existing_open_case",
    "incoming_referrals_for_desk",
    "loop_referral",
    "outgoing_referrals_for_desk",
    "overdue_referrals_for_desk",
    "partner_get_for_user",
    "partner_list_for_user",
    "pending_internal_referral",
    "referral_desk_matrix",
    "referral_flags",
    "referral_get_for_user",
    "referral_list_for_user",
    "referral_page",
    "referral_partner_report",
    "referrals_for_case",
    "sessions_visible_through",
    "with_handoff",
]
