"""Reads of dispatches and their visits, keyword-only, filtered by the experts policy, never
writing. Whoever shows a dispatch of a restricted case records the read with
`intake.services.access_log_record` (docs/architecture.md, "The access log")."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from casebook.accounts.models import Desk
from casebook.common.prepared import PreparedRead
from casebook.experts import policy, rules
from casebook.experts.models import (
    Dispatch,
    DispatchProgram,
    DispatchStatus,
    DispatchVisit,
)
from casebook.intake import policy as case_policy

if TYPE_CHECKING:
    from casebook.accounts.models import User
    from casebook.intake.models import Case

# What a dispatch's pages, rows and answers show of it, joined in with the dispatch itself.
DISPATCH_JOINS = (
    "case",
    "case__client",
    "case__desk",
    "program",
    "program__desk",
    "sub_quota",
    "expert",
)
VISIT_JOINS = ("dispatch", "dispatch__case", "dispatch__case__client", "expert")
# What the case page shows of a dispatch: its panel's row and its timeline's steps. Only
# those relations are joined: PostgreSQL planned the list's every join for longer than it
# read the case's few dispatches (docs/performance.md, "The case page"). Their case is the
# page's.
CASE_PAGE_JOINS = ("expert", "program", "requested_by", "decided_by")


def dispatch_list_for_user(*, user: User) -> QuerySet[Dispatch]:
    """The dispatches `user` may see, newest first; each notes `case_named`, whether its case
    is named (number, link) to `user` (`policy.case_named_q`)."""
    return (
        policy.dispatches_visible_to(user)
        .select_related(*DISPATCH_JOINS)
        .annotate(case_named=ExpressionWrapper(policy.case_named_q(user), BooleanField()))
        .order_by("-created_at", "-pk")
    )


def dispatch_get_for_user(*, user: User, pk: int) -> Dispatch:
    """The dispatch if `user` may see it, else 404; noted with `case_visible`, whether `user`
    may see its case file (what the policy offers on the page reads it)."""
    visible_case = case_policy.cases_visible_to(user).filter(pk=OuterRef("case_id"))
    try:
        return (
            dispatch_list_for_user(user=user).annotate(case_visible=Exists(visible_case)).get(pk=pk)
        )
    except (Dispatch.DoesNotExist, ValueError, TypeError):
        raise Http404("no such dispatch") from None


def dispatches_of_case_for_user(*, user: User, case: Case) -> QuerySet[Dispatch]:
    """The dispatches of `case` that `user` may see, as `dispatch_list_for_user` filtered to
    the case, with the rule narrowed to the one case (`policy.visible_dispatches_of_case`)."""
    visible, case_named = policy.visible_dispatches_of_case(user, case)
    return (
        Dispatch.objects.filter(visible)
        .select_related(*DISPATCH_JOINS)
        .annotate(case_named=ExpressionWrapper(case_named, BooleanField()))
        .order_by("-created_at", "-pk")
    )


def _shown_with_case(visible: Q) -> QuerySet[Dispatch]:
    return (
        Dispatch.objects.filter(visible)
        .select_related(*CASE_PAGE_JOINS)
        .order_by("-created_at", "-pk")
    )


# The dispatches of a case its reader sees, one statement per branch of the narrowed rule
# (`policy.seen_case_reader`), the case's id and the reader's id its arguments: the shape
# holds no desk or role of the reader, so each is compiled once per process and only executed
# after (docs/performance.md, "The case page's reads compiled once").
SEEN_CASE_READS: dict[str, PreparedRead] = {
    "asked": PreparedRead(
        Dispatch,
        lambda case_id, user_id: _shown_with_case(
            policy.seen_case_dispatches_q(case_id, "asked", user_id)
        ),
        args=(int, int),
    ),
    "expert": PreparedRead(
        Dispatch,
        lambda case_id, expert_id: _shown_with_case(
            policy.seen_case_dispatches_q(case_id, "expert", expert_id)
        ),
        args=(int, int),
    ),
    "staff": PreparedRead(
        Dispatch,
        lambda case_id: _shown_with_case(policy.seen_case_dispatches_q(case_id, "staff", None)),
        args=(int,),
    ),
}


def dispatches_shown_with_case(*, user: User, case: Case) -> list[Dispatch]:
    """The dispatches of `case` that `user` may see, as the case page shows them:
    `dispatches_of_case_for_user` with only `CASE_PAGE_JOINS` joined. When `user` sees the
    case, its statement (the narrowed rule's branch for `user`) was compiled once and is only
    executed, and every row names the case (the policy's note for a seen case is `True`);
    building and compiling it was a sixth of the page's Python. A reader who does not see
    the case gets `dispatches_of_case_for_user`'s read, its notes in the statement."""
    if not case_policy.can_see_case(user, case):
        return list(
            dispatches_of_case_for_user(user=user, case=case)
            .select_related(None)
            .select_related(*CASE_PAGE_JOINS)
        )
    reader, who = policy.seen_case_reader(user)
    read = SEEN_CASE_READS[reader]
    dispatches = read(case.pk) if who is None else read(case.pk, who)
    for dispatch in dispatches:
        dispatch.case_named = True
    return dispatches


def visit_list_for_user(*, user: User) -> QuerySet[DispatchVisit]:
    return DispatchVisit.objects.filter(
        dispatch__in=policy.dispatches_visible_to(user).values("pk")
    ).select_related(*VISIT_JOINS)


def visit_get_for_user(*, user: User, pk: int) -> DispatchVisit:
    try:
        return visit_list_for_user(user=user).get(pk=pk)
    except (DispatchVisit.DoesNotExist, ValueError, TypeError):
        raise Http404("no such visit") from None


def pending_requests_for_user(*, user: User) -> QuerySet[Dispatch]:
    """Requests waiting for a decision the user may take (program desk coordinator, manager)."""
    queryset = dispatch_list_for_user(user=user).filter(status=DispatchStatus.REQUESTED)
    if policy.decides_for_every_program(user):
        return queryset
    return queryset.filter(program__desk_id__in=policy.program_desk_ids(user))


def program_desks_for_user(*, user: User) -> list[Desk]:
    """The desks running a dispatch program whose requests `user` decides."""
    desks = Desk.objects.filter(pk__in=DispatchProgram.objects.values("desk_id")).order_by("pk")
    if policy.decides_for_every_program(user):
        return list(desks)
    return list(desks.filter(pk__in=policy.program_desk_ids(user)))


def open_dispatch_blocker(case: Case) -> str | None:
    """Registered as a close blocker: a case with an open dispatch cannot close."""
    open_ids = list(
        Dispatch.objects.filter(case_id=case.pk, status__in=rules.OPEN).values_list("pk", flat=True)
    )
    if not open_ids:
        return None
    return _("expert dispatch %(ids)s is still open: complete or cancel it first") % {
        "ids": ", ".join(f"#{pk}" for pk in open_ids)
    }


# Late reports -----------------------------------------------------------------------------


def _desk_dispatches(user: User, desk: Desk) -> QuerySet[Dispatch]:
    return policy.dispatches_visible_to(user).filter(program__desk=desk)


def late_visit_reports_for_desk(
    *, user: User, desk: Desk, today: dt.date | None = None
) -> list[DispatchVisit]:
    """Visits of the desk's programs whose report is more than 5 business days overdue
    (unfiled and past the deadline), oldest first; each carries `.report_due`.

    The late visits of the desk's programs are found first on the visit and dispatch rows
    alone (their dates), and only those are read under the dispatch rule, with what a row
    shows: usually there are none, and the rule (the case policy's, compiled into it) is
    then neither built nor planned — it was most of this list's cost on the desk board for
    no row (docs/performance.md, "The desk board"). One query when no visit is late, two
    when some are.
    """
    today = today or timezone.localdate()
    unfiled = DispatchVisit.objects.filter(
        dispatch__program__desk=desk,
        dispatch__status__in=rules.REPORTED_VISITS,
        report_filed_at__isnull=True,
        date__lt=today,
    )
    late_ids = [
        pk
        for pk, date in unfiled.values_list("pk", "date")
        if rules.visit_report_due_after(date) < today
    ]
    if not late_ids:
        return []
    late = list(
        unfiled.filter(pk__in=late_ids, dispatch__in=_desk_dispatches(user, desk).values("pk"))
        .select_related(*VISIT_JOINS)
        .order_by("date", "id")
    )
    for visit in late:
        visit.report_due = rules.visit_report_due(visit)
    return late


def late_final_reports_for_desk(
    *, user: User, desk: Desk, today: dt.date | None = None
) -> list[Dispatch]:
    """Dispatches whose final report is more than 7 days after their last visit."""
    today = today or timezone.localdate()
    late = []
    dispatches = (
        _desk_dispatches(user, desk)
        .filter(
            status__in=(DispatchStatus.SCHEDULED, DispatchStatus.COMPLETED),
            final_report_at__isnull=True,
        )
        .select_related("case", "case__client", "expert")
        .prefetch_related("visits")
    )
    for dispatch in dispatches:
        visits = list(dispatch.visits.all())
        if not visits or any(v.date > today for v in visits):
            continue
        last = max(v.date for v in visits)
        dispatch.final_report_due = rules.final_report_due(last)
        if dispatch.final_report_due < today:
            late.append(dispatch)
    return late
