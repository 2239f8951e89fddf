"""Reads of referrals, already filtered by who may see them.

A user sees a referral when they may see its referring case, or when it is an internal
referral to a desk they are a member of (the hand-off is addressed to them). What the
receiving desk sees of the referring case is `handoff_view()`: the hand-off note and the
case's summary, the full file only when it was shared (see `services.py`).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from casebook.accounts.models import Desk, User
from casebook.common.calendar import business_days_between
from casebook.common.fiscal import fiscal_year_bounds
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

RS = ReferralStatus


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


def referral_get_for_user(
    user: User, pk: Any, *, write: bool = False, via: str = "referral"
) -> Referral:
    """The referral if `user` may see it, else 404. `write=True` locks the row.

    Reading a referral shows its cases' details: when one of them is restricted and the
    user may see it, the read is written to the access log (DESIGN §9).
    """
    queryset = referral_list_for_user(user)
    try:
        if write:
            pk_visible = queryset.filter(pk=pk).values_list("pk", flat=True).first()
            if pk_visible is None:
                raise Referral.DoesNotExist
            referral = services._lock(Referral(pk=pk_visible))
        else:
            referral = queryset.get(pk=pk)
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
    user: User, desk: Desk, *, statuses: Iterable[str] | None = (RS.PENDING,)
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
    if referral.status == RS.PENDING and services.can_answer(user, referral):
        actions |= {"accept", "decline"}
    if services.can_record_partner_reply(user, referral):
        if referral.status == RS.SENT:
            actions.add("acknowledge")
        if referral.status in (RS.SENT, RS.ACKNOWLEDGED):
            actions.add("report-outcome")
    if policy.can_see_case(user, referral.from_case) and policy.can(
        user, policy.Action.REFER, referral.from_case
    ):
        actions.add("checklist")
    return actions


# --- the case timeline -----------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    kind: str  # referral_sent, referral_received, referral_accepted, …
    title: str
    body: str
    by: User | None
    url: str
    referral_id: int

    @property
    def text(self) -> str:
        return f"{self.title}: {self.body}" if self.body else self.title


def referral_timeline_entries(user: User, case: Case) -> list[TimelineEntry]:
    """Referral events of `case` for its timeline, oldest first (a case the user may see)."""
    entries: list[TimelineEntry] = []
    for referral in referrals_for_case(user, case):
        url = reverse("referrals:detail", args=[referral.pk])
        outgoing = referral.from_case_id == case.pk
        if outgoing:
            title = _("Referred to %s") % referral.target_name
            kind = "referral_sent"
        else:
            title = _("Referral received from %s") % referral.from_case.desk
            kind = "referral_received"
        entries.append(
            TimelineEntry(
                referral.referred_at,
                kind,
                title,
                referral.handoff_note,
                referral.referred_by,
                url,
                referral.pk,
            )
        )
        if referral.status == RS.ACCEPTED and referral.responded_at:
            entries.append(
                TimelineEntry(
                    referral.responded_at,
                    "referral_accepted",
                    _("Referral accepted by %s") % referral.to_desk,
                    "",
                    referral.responded_by,
                    url,
                    referral.pk,
                )
            )
        if referral.status == RS.DECLINED and referral.responded_at:
            entries.append(
                TimelineEntry(
                    referral.responded_at,
                    "referral_declined",
                    _("Referral declined by %s") % referral.to_desk,
                    referral.decline_reason,
                    referral.responded_by,
                    url,
                    referral.pk,
                )
            )
        if referral.acknowledged_at and referral.kind == ReferralKind.EXTERNAL:
            entries.append(
                TimelineEntry(
                    referral.acknowledged_at,
                    "referral_acknowledged",
                    _("%s acknowledged the referral") % referral.to_partner,
                    referral.partner_contact,
                    None,
                    url,
                    referral.pk,
                )
            )
        if referral.outcome_reported_at:
            entries.append(
                TimelineEntry(
                    referral.outcome_reported_at,
                    "referral_outcome_reported",
                    _("Outcome reported by %s") % referral.to_partner,
                    referral.outcome,
                    None,
                    url,
                    referral.pk,
                )
            )
    entries.sort(key=lambda e: (e.at, e.referral_id))
    return entries


# --- reports ---------------------------------------------------------------------------------


@dataclass
class DeskPairRow:
    from_desk: Desk
    to_desk: Desk
    count: int = 0
    accepted: int = 0
    declined: int = 0
    pending: int = 0
    days_to_accept: list[int] = field(default_factory=list)

    @property
    def acceptance_rate(self) -> float | None:
        answered = self.accepted + self.declined
        return None if answered == 0 else self.accepted / answered

    @property
    def median_days_to_accept(self) -> float | None:
        return statistics.median(self.days_to_accept) if self.days_to_accept else None


@dataclass
class DeskMatrix:
    desks: list[Desk]
    cells: dict[tuple[int, int], DeskPairRow]

    def cell(self, from_desk: Desk, to_desk: Desk) -> DeskPairRow:
        return self.cells.get(
            (from_desk.pk, to_desk.pk), DeskPairRow(from_desk=from_desk, to_desk=to_desk)
        )

    @property
    def rows(self) -> list[list[DeskPairRow]]:
        return [[self.cell(a, b) for b in self.desks] for a in self.desks]

    @property
    def pairs(self) -> list[DeskPairRow]:
        return [row for row in self.cells.values() if row.count]


def _period(fiscal_year: int | None) -> Q:
    if fiscal_year is None:
        return Q()
    start, end = fiscal_year_bounds(fiscal_year)
    return Q(referred_at__date__gte=start, referred_at__date__lte=end)


def _require_reports(user: User) -> None:
    if not may_read_reports(user):
        from casebook.common.errors import ActionNotPermitted

        raise ActionNotPermitted(
            _("only managers, auditors and coordinators read referral reports")
        )


def may_read_reports(user: User) -> bool:
    if user.is_manager or user.is_auditor:
        return True
    return any("coordinator" in roles for roles in policy.desk_roles(user).values())


def referral_desk_matrix(user: User, *, fiscal_year: int | None = None) -> DeskMatrix:
    """Desk × desk counts, acceptance rate and median business days to accept.

    Aggregates over every internal referral of the period (restricted cases included: counts
    are fine in reports). Days to accept = business days from the referral to the acceptance.
    """
    _require_reports(user)
    desks = list(Desk.objects.filter(active=True))
    by_pk = {d.pk: d for d in Desk.objects.all()}
    cells: dict[tuple[int, int], DeskPairRow] = {}
    rows = Referral.objects.filter(_period(fiscal_year), kind=ReferralKind.INTERNAL).values_list(
        "from_case__desk_id", "to_desk_id", "status", "referred_at", "responded_at"
    )
    for from_id, to_id, status, referred_at, responded_at in rows:
        key = (from_id, to_id)
        row = cells.get(key)
        if row is None:
            row = cells[key] = DeskPairRow(from_desk=by_pk[from_id], to_desk=by_pk[to_id])
        row.count += 1
        if status == RS.ACCEPTED:
            row.accepted += 1
            if responded_at:
                row.days_to_accept.append(
                    business_days_between(
                        timezone.localdate(referred_at), timezone.localdate(responded_at)
                    )
                )
        elif status == RS.DECLINED:
            row.declined += 1
        elif status == RS.PENDING:
            row.pending += 1
    return DeskMatrix(desks=desks, cells=cells)


@dataclass
class PartnerRow:
    partner: Partner
    count: int = 0
    sent: int = 0
    acknowledged: int = 0
    outcome_reported: int = 0
    overdue: int = 0
    days_to_acknowledge: list[int] = field(default_factory=list)

    @property
    def median_days_to_acknowledge(self) -> float | None:
        return statistics.median(self.days_to_acknowledge) if self.days_to_acknowledge else None


def referral_partner_report(user: User, *, fiscal_year: int | None = None) -> list[PartnerRow]:
    """External referrals by partner: counts per status, overdue, median days to acknowledge."""
    _require_reports(user)
    today = timezone.localdate()
    rows: dict[int, PartnerRow] = {}
    partners = {p.pk: p for p in Partner.objects.all()}
    queryset = Referral.objects.filter(
        _period(fiscal_year), kind=ReferralKind.EXTERNAL
    ).values_list("to_partner_id", "status", "referred_at", "acknowledged_at", "due_on")
    for partner_id, status, referred_at, acknowledged_at, due_on in queryset:
        row = rows.get(partner_id)
        if row is None:
            row = rows[partner_id] = PartnerRow(partner=partners[partner_id])
        row.count += 1
        counts: dict[str, str] = {
            RS.SENT: "sent",
            RS.ACKNOWLEDGED: "acknowledged",
            RS.OUTCOME_REPORTED: "outcome_reported",
        }
        setattr(row, counts[status], getattr(row, counts[status]) + 1)
        if status in OPEN_STATUSES and due_on and due_on < today:
            row.overdue += 1
        if acknowledged_at:
            row.days_to_acknowledge.append(
                business_days_between(
                    timezone.localdate(referred_at), timezone.localdate(acknowledged_at)
                )
            )
    return sorted(rows.values(), key=lambda r: (-r.count, r.partner.name))
