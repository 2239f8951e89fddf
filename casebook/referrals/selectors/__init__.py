"""Reads of referrals, already filtered by who may see them.

A user sees a referral when they may see its referring case, or when it is an internal
referral to a desk they are a member of (the hand-off is addressed to them). What the
receiving desk sees of the referring case is `handoff_view()`: the hand-off note and the
case's summary, the full file only when it was shared (see `services.py`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from casebook.accounts.models import Desk, User
from casebook.common.calendar import business_days_between
from casebook.common.extensions import TimelineEntry
from casebook.intake import policy
from casebook.intake.models import AccessLog, Case, Confidentiality, ConsultationSession
from casebook.referrals import services
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
    may_read_reports,
    referral_desk_matrix,
    referral_partner_report,
)


def referral_visibility_q(user: User) -> Q:
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_manager:
        return Q()
    visible_cases = policy.cases_visible_to(user).values("pk")
    condition = Q(from_case__in=visible_cases) | Q(created_case__in=visible_cases)
    desks = list(policy.desk_roles(user))
    if desks:
        condition |= Q(kind=ReferralKind.INTERNAL, to_desk_id__in=desks)
    return condition


def referral_list_for_user(user: User) -> QuerySet[Referral]:
    return (
        Referral.objects.filter(referral_visibility_q(user))
        .select_related(
            "from_case__desk",
            "from_case__client",
            "to_desk",
            "to_partner",
            "created_case__desk",
            "referred_by",
            "responded_by",
        )
        .distinct()
    )


def referral_get_for_user(user: User, pk: Any, *, via: str = "referral") -> Referral:
    """The referral if `user` may see it, else 404.

    Reading a referral shows its cases' details: when one of them is restricted and the
    user may see it, the read is written to the access log (docs/rules.md, "Access log").
    """
    try:
        referral = referral_list_for_user(user).get(pk=pk)
    except (Referral.DoesNotExist, ValueError, TypeError):
        raise Http404("no such referral") from None
    for case in (referral.from_case, referral.created_case):
        if (
            case is not None
            and case.confidentiality == Confidentiality.RESTRICTED
            and policy.can_see_case(user, case)
        ):
            AccessLog.objects.create(user=user, case=case, via=via)
    return referral


def referrals_for_case(user: User, case: Case) -> QuerySet[Referral]:
    """Referrals out of the case and into it (a case the caller already got through policy)."""
    return referral_list_for_user(user).filter(Q(from_case=case) | Q(created_case=case))


def incoming_referrals_for_desk(
    user: User, desk: Desk, *, statuses: Iterable[str] | None = (ReferralStatus.PENDING,)
) -> QuerySet[Referral]:
    """Internal referrals to `desk` awaiting its answer, the most urgent first.

    `statuses=None` lists them all (answered ones after the waiting ones).
    """
    queryset = referral_list_for_user(user).filter(kind=ReferralKind.INTERNAL, to_desk=desk)
    if statuses is not None:
        queryset = queryset.filter(status__in=list(statuses))
    return queryset.order_by("-status", "due_on", "-referred_at")


def outgoing_referrals_for_desk(user: User, desk: Desk) -> QuerySet[Referral]:
    return referral_list_for_user(user).filter(from_case__desk=desk).order_by("-referred_at")


def overdue_referrals_for_desk(
    user: User, desk: Desk, *, today: dt.date | None = None
) -> QuerySet[Referral]:
    """Open referrals past their due date that concern `desk`, on either side.

    Incoming: awaiting `desk`'s acceptance. Outgoing: `desk`'s referrals still waiting for the
    other desk's answer or for a partner's acknowledgement or outcome.
    """
    today = today or timezone.localdate()
    return (
        referral_list_for_user(user)
        .filter(status__in=OPEN_STATUSES, due_on__lt=today)
        .filter(Q(kind=ReferralKind.INTERNAL, to_desk=desk) | Q(from_case__desk=desk))
        .order_by("due_on", "referred_at")
    )


def is_overdue(referral: Referral, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return referral.is_open and referral.due_on is not None and referral.due_on < today


def business_days_overdue(referral: Referral, today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    if not is_overdue(referral, today):
        return 0
    return max(business_days_between(referral.due_on, today), 0)


def partner_list(*, include_inactive: bool = False) -> QuerySet[Partner]:
    queryset = Partner.objects.all()
    return queryset if include_inactive else queryset.filter(active=True)


def partner_get(pk: Any) -> Partner:
    try:
        return Partner.objects.get(pk=pk)
    except (Partner.DoesNotExist, ValueError, TypeError):
        raise Http404("no such partner") from None


# --- what the receiving desk may see -------------------------------------------------------


@dataclass
class HandoffView:
    """The referring case as the viewer may see it: the full file or a summary."""

    full_file: bool
    case_url: str
    number: str
    desk: str
    title: str
    topics: list[str]
    status: str
    lead_counselor: str
    opened_at: dt.datetime | None
    withheld_reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def can_see_full_file(user: User, referral: Referral) -> bool:
    return policy.can_see_case(user, referral.from_case)


def handoff_view(user: User, referral: Referral) -> HandoffView:
    """What `user` sees of the referring case of `referral` (a referral they may see)."""
    case = referral.from_case
    full = can_see_full_file(user, referral)
    lead = str(case.lead_counselor) if case.lead_counselor_id else ""
    if full:
        return HandoffView(
            full_file=True,
            case_url=reverse("case_detail", args=[case.pk]),
            number=case.number,
            desk=str(case.desk),
            title=case.title,
            topics=[t.name for t in case.topics.all()],
            status=case.get_status_display(),
            lead_counselor=lead,
            opened_at=case.opened_at,
        )
    if case.confidentiality == Confidentiality.RESTRICTED:
        # Exit-track cases never show in another desk: only who to talk to.
        return HandoffView(
            full_file=False,
            case_url="",
            number="",
            desk=str(case.desk),
            title="",
            topics=[],
            status="",
            lead_counselor=str(referral.referred_by),
            opened_at=None,
            withheld_reason=_("This case is handled by the special team; its file is not shared."),
        )
    if case.confidentiality == Confidentiality.CONFIDENTIAL:
        return HandoffView(
            full_file=False,
            case_url="",
            number=case.number,
            desk=str(case.desk),
            title="",
            topics=[],
            status=case.get_status_display(),
            lead_counselor=lead,
            opened_at=case.opened_at,
            withheld_reason=_(
                "This case is confidential: only the hand-off note is shared, never its file."
            ),
        )
    return HandoffView(
        full_file=False,
        case_url="",
        number=case.number,
        desk=str(case.desk),
        title=case.title,
        topics=[t.name for t in case.topics.all()],
        status=case.get_status_display(),
        lead_counselor=lead,
        opened_at=case.opened_at,
        withheld_reason=_("The referrer did not share the full file."),
    )


def sessions_visible_through(user: User, referral: Referral) -> QuerySet[ConsultationSession]:
    """The referring case's sessions (its file), when the viewer may see that case."""
    if not can_see_full_file(user, referral):
        return ConsultationSession.objects.none()
    return referral.from_case.sessions.select_related("office").order_by("-started_at")


def visible_existing_case(user: User, referral: Referral) -> Case | None:
    """The flagged open case of the receiving desk, when the viewer may see it."""
    case = referral.existing_case
    if case is None or not policy.can_see_case(user, case):
        return None
    return case


def referral_actions(user: User, referral: Referral) -> set[str]:
    actions: set[str] = set()
    if referral.status == ReferralStatus.PENDING and services.can_answer(user, referral):
        actions |= {"accept", "decline"}
    if services.can_record_partner_reply(user, referral):
        if referral.status == ReferralStatus.SENT:
            actions.add("acknowledge")
        if referral.status in (ReferralStatus.SENT, ReferralStatus.ACKNOWLEDGED):
            actions.add("report-outcome")
    if policy.can_see_case(user, referral.from_case) and policy.can(
        user, policy.Action.REFER, referral.from_case
    ):
        actions.add("checklist")
    return actions


# --- the case timeline -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Event:
    """One moment of a referral the timeline shows: whether it happened, when, its words."""

    kind: str
    happened: Callable[[Referral], bool]
    at: Callable[[Referral], dt.datetime]
    title: Callable[[Referral], str]
    text: Callable[[Referral], str] = lambda referral: ""
    by: Callable[[Referral], Any] = lambda referral: None


_ANSWERS = (
    _Event(
        "referral_accepted",
        lambda r: r.status == ReferralStatus.ACCEPTED and r.responded_at is not None,
        lambda r: r.responded_at,
        lambda r: _("Referral accepted by %s") % r.to_desk,
        by=lambda r: r.responded_by,
    ),
    _Event(
        "referral_declined",
        lambda r: r.status == ReferralStatus.DECLINED and r.responded_at is not None,
        lambda r: r.responded_at,
        lambda r: _("Referral declined by %s") % r.to_desk,
        text=lambda r: r.decline_reason,
        by=lambda r: r.responded_by,
    ),
    _Event(
        "referral_acknowledged",
        lambda r: r.kind == ReferralKind.EXTERNAL and r.acknowledged_at is not None,
        lambda r: r.acknowledged_at,
        lambda r: _("%s acknowledged the referral") % r.to_partner,
        text=lambda r: r.partner_contact,
    ),
    _Event(
        "referral_outcome_reported",
        lambda r: r.outcome_reported_at is not None,
        lambda r: r.outcome_reported_at,
        lambda r: _("Outcome reported by %s") % r.to_partner,
        text=lambda r: r.outcome,
    ),
)


def referral_timeline_entries(
    user: User, case: Case, *, referrals: Iterable[Referral] | None = None
) -> list[TimelineEntry]:
    """Referral events of `case` for its timeline (a case the user may see), oldest first.

    `referrals`: the case's referrals the user may see, when the page already read them."""
    if referrals is None:
        referrals = referrals_for_case(user, case)
    sent = _Event(
        "referral_sent",
        lambda r: r.from_case_id == case.pk,
        lambda r: r.referred_at,
        lambda r: _("Referred to %s") % r.target_name,
        text=lambda r: r.handoff_note,
        by=lambda r: r.referred_by,
    )
    received = _Event(
        "referral_received",
        lambda r: r.from_case_id != case.pk,
        lambda r: r.referred_at,
        lambda r: _("Referral received from %s") % r.from_case.desk,
        text=lambda r: r.handoff_note,
        by=lambda r: r.referred_by,
    )
    entries = [
        TimelineEntry(
            kind=event.kind,
            at=event.at(referral),
            by=event.by(referral),
            obj=referral,
            title=event.title(referral),
            text=event.text(referral),
            url=reverse("referrals:detail", args=[referral.pk]),
        )
        for referral in referrals
        for event in (sent, received, *_ANSWERS)
        if event.happened(referral)
    ]
    entries.sort(key=lambda e: (e.at, e.obj.pk))
    return entries


__all__ = [
    "DeskMatrix",
    "DeskPairRow",
    "HandoffView",
    "PartnerRow",
    "business_days_overdue",
    "can_see_full_file",
    "handoff_view",
    "incoming_referrals_for_desk",
    "is_overdue",
    "may_read_reports",
    "outgoing_referrals_for_desk",
    "overdue_referrals_for_desk",
    "partner_get",
    "partner_list",
    "referral_actions",
    "referral_desk_matrix",
    "referral_get_for_user",
    "referral_list_for_user",
    "referral_partner_report",
    "referral_timeline_entries",
    "referral_visibility_q",
    "referrals_for_case",
    "sessions_visible_through",
    "visible_existing_case",
]
