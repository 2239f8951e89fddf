"""Referral reports: desk × desk matrix and external referrals by partner (aggregates over
every referral of the period; counts of restricted cases are fine in reports). Who reads
them is `policy.may_read_reports`."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from casebook.accounts.models import Desk, User
from casebook.common.calendar import business_days_between
from casebook.common.fiscal import fiscal_year_bounds
from casebook.referrals import policy
from casebook.referrals.models import (
    OPEN_STATUSES,
    Partner,
    Referral,
    ReferralKind,
    ReferralStatus,
)

RS = ReferralStatus


def _median(values: list[int]) -> float | None:
    return statistics.median(values) if values else None


def _business_days(start: dt.datetime, end: dt.datetime) -> int:
    return business_days_between(timezone.localdate(start), timezone.localdate(end))


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
        return _median(self.days_to_accept)


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


def referral_desk_matrix(*, user: User, fiscal_year: int | None = None) -> DeskMatrix:
    """Desk × desk counts, acceptance rate and median business days to accept.

    Aggregates over every internal referral of the period (restricted cases included: counts
    are fine in reports). Days to accept = business days from the referral to the acceptance.
    """
    policy.require_reports(user)
    by_pk = {desk.pk: desk for desk in Desk.objects.all()}
    desks = [desk for desk in by_pk.values() if desk.active]
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
                row.days_to_accept.append(_business_days(referred_at, responded_at))
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
        return _median(self.days_to_acknowledge)


def referral_partner_report(*, user: User, fiscal_year: int | None = None) -> list[PartnerRow]:
    """External referrals by partner: counts per status, overdue, median days to acknowledge."""
    policy.require_reports(user)
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
            row.days_to_acknowledge.append(_business_days(referred_at, acknowledged_at))
    return sorted(rows.values(), key=lambda r: (-r.count, r.partner.name))
