"""Rules of dispatch shared by services and selectors: day counts, quota use, conflicts of
interest, the client's co-payment and the report deadlines (docs/rules.md, "Expert
dispatch"). Who may do what is the policy's (`experts.policy`); nothing here writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db.models import Case as When_
from django.db.models import DecimalField, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from casebook.common.calendar import add_business_days
from casebook.common.errors import field_error
from casebook.common.japanese import normalize_text, search_key
from casebook.experts.models import Dispatch, DispatchStatus

if TYPE_CHECKING:
    from casebook.experts.models import (
        ConflictDeclaration,
        DispatchProgram,
        DispatchVisit,
        Expert,
        SubQuota,
    )
    from casebook.intake.models import Case, Client

ZERO = Decimal("0.0")
# Approved and scheduled dispatches hold their approved days; finished ones hold what they used.
RESERVING = (DispatchStatus.APPROVED, DispatchStatus.SCHEDULED)
USING = (DispatchStatus.COMPLETED, DispatchStatus.CLOSED, DispatchStatus.CANCELLED)
# Open: still to be decided or carried out; the case cannot close meanwhile.
OPEN = (
    DispatchStatus.DRAFT,
    DispatchStatus.REQUESTED,
    DispatchStatus.APPROVED,
    DispatchStatus.SCHEDULED,
)
# Dispatched: the case is in the `dispatch` state while one of these exists.
UNDER_WAY = RESERVING
# Visits of these dispatches occupy the expert's calendar.
BOOKING = (
    DispatchStatus.APPROVED,
    DispatchStatus.SCHEDULED,
    DispatchStatus.COMPLETED,
    DispatchStatus.CLOSED,
    DispatchStatus.CANCELLED,
)

# Visits whose report is owed (docs/rules.md, "Expert dispatch"): due 5 business days after
# the visit; the final report 7 days after the last visit.
REPORTED_VISITS = (DispatchStatus.SCHEDULED, DispatchStatus.COMPLETED, DispatchStatus.CANCELLED)
VISIT_REPORT_BUSINESS_DAYS = 5
FINAL_REPORT_DAYS = 7

_DAYS_FIELD = DecimalField(max_digits=8, decimal_places=1)


def visit_report_due(visit: DispatchVisit) -> dt.date:
    return visit_report_due_after(visit.date)


def visit_report_due_after(visit_date: dt.date) -> dt.date:
    """A visit's report deadline from the visit's date alone."""
    return add_business_days(visit_date, VISIT_REPORT_BUSINESS_DAYS)


def final_report_due(last_visit: dt.date) -> dt.date:
    return last_visit + dt.timedelta(days=FINAL_REPORT_DAYS)


def parse_days(value: Any, *, field: str = "requested_days") -> Decimal:
    """A positive number of days in half-day steps, or a field error naming that rule."""
    try:
        days = Decimal(str(normalize_text(str(value)) if value is not None else ""))
    except (InvalidOperation, ValueError):
        raise field_error(field, _("enter a number of days"), "invalid") from None
    if not days.is_finite() or days <= 0:
        raise field_error(field, _("days must be more than zero"), "min_value")
    if (days * 2) % 1 != 0:
        raise field_error(
            field, _("days must be in half-day steps (0.5, 1.0, 1.5 …)"), "half_day_steps"
        )
    if days > Decimal("999.5"):
        raise field_error(field, _("too many days"), "max_value")
    return days.quantize(Decimal("0.1"))


def taken_expression() -> When_:
    return When_(
        When(status__in=RESERVING, then=F("approved_days")),
        When(status__in=USING, then=Coalesce(F("used_days"), Value(ZERO))),
        default=Value(ZERO),
        output_field=_DAYS_FIELD,
    )


@dataclass(frozen=True)
class DayCounts:
    reserved: Decimal
    used: Decimal

    @property
    def taken(self) -> Decimal:
        return self.reserved + self.used


def day_counts(dispatches: QuerySet[Dispatch]) -> DayCounts:
    """Days reserved (approved, not yet finished) and used (finished) by `dispatches`."""
    totals = dispatches.aggregate(
        reserved=Sum("approved_days", filter=Q(status__in=RESERVING)),
        used=Sum("used_days", filter=Q(status__in=USING)),
    )
    return DayCounts(totals["reserved"] or ZERO, totals["used"] or ZERO)


def days_taken(dispatches: QuerySet[Dispatch]) -> Decimal:
    total = dispatches.aggregate(total=Sum(taken_expression()))["total"]
    return total or ZERO


def remaining(quota: Decimal | None, taken: Decimal) -> Decimal | None:
    return None if quota is None else quota - taken


def program_counts(program: DispatchProgram) -> DayCounts:
    return day_counts(Dispatch.objects.filter(program=program))


def sub_quota_counts(sub_quota: SubQuota) -> DayCounts:
    return day_counts(Dispatch.objects.filter(sub_quota=sub_quota))


def expert_days_taken(expert: Expert, fiscal_year: int, *, exclude: int | None = None) -> Decimal:
    queryset = Dispatch.objects.filter(expert=expert, program__fiscal_year=fiscal_year)
    if exclude is not None:
        queryset = queryset.exclude(pk=exclude)
    return days_taken(queryset)


def client_days_taken(
    program: DispatchProgram, client: Client, *, exclude: int | None = None
) -> Decimal:
    queryset = Dispatch.objects.filter(program=program, case__client=client)
    if exclude is not None:
        queryset = queryset.exclude(pk=exclude)
    return days_taken(queryset)


# Co-payment ------------------------------------------------------------------------------


def copay_yen(
    program: DispatchProgram, sub_quota: SubQuota | None, day_rate_yen: int, days: Decimal | None
) -> int:
    """Client share: days x day rate x ratio (rounded down to whole yen), or a fixed fee
    per day; 0 for a free sub-quota (docs/rules.md, "Expert dispatch")."""
    if not days or (sub_quota is not None and sub_quota.free):
        return 0
    if program.copay_yen_per_day is not None:
        amount = Decimal(program.copay_yen_per_day) * days
    elif program.copay_ratio is not None:
        amount = days * Decimal(day_rate_yen) * program.copay_ratio
    else:
        return 0
    return int(amount.to_integral_value(rounding=ROUND_DOWN))


def copay_rule_label(program: DispatchProgram, sub_quota: SubQuota | None) -> str:
    if sub_quota is not None and sub_quota.free:
        return _("free of charge (%s)") % sub_quota.name
    if program.copay_yen_per_day is not None:
        return _("%(yen)s yen per day") % {"yen": f"{program.copay_yen_per_day:,}"}
    if program.copay_ratio is not None:
        percent = (program.copay_ratio * 100).normalize()
        return _("%(percent)s%% of the cost") % {"percent": f"{percent:f}"}
    return _("no co-payment")


# Eligibility --------------------------------------------------------------------------------


def eligibility_problems(program: DispatchProgram, client: Client | None) -> list[str]:
    from django.conf import settings

    if client is None:
        return [_("a dispatch needs a case with an identified client")]
    problems = []
    if program.requires_sme and client.size_class not in ("sme", "small"):
        if client.size_class == "unknown":
            problems.append(
                _(
                    "the program is for SMEs only and the client's size is unknown: record its "
                    "industry, capital and employees"
                )
            )
        else:
            problems.append(_("the program is for SMEs only and the client is a large company"))
    if program.requires_in_prefecture and client.prefecture != settings.CASEBOOK_PREFECTURE:
        problems.append(
            _("the program is for companies located in %(prefecture)s")
            % {"prefecture": settings.CASEBOOK_PREFECTURE}
        )
    if program.requires_innovation_plan and not client.has_innovation_plan:
        problems.append(_("the program needs an approved management innovation plan"))
    return problems


def expert_available_problem(expert: Expert, on: dt.date) -> str | None:
    if not expert.active:
        return _("expert %(name)s is not active") % {"name": expert.name}
    if on < expert.registered_from or (
        expert.registered_until is not None and on > expert.registered_until
    ):
        return _("expert %(name)s is not registered on %(date)s") % {
            "name": expert.name,
            "date": on.isoformat(),
        }
    return None


# Conflicts of interest --------------------------------------------------------------------


def company_keys(values: list[str] | tuple[str, ...]) -> set[str]:
    """Matching keys for company names or corporate numbers."""
    return {search_key(v) for v in values if search_key(v)}


def _client_keys(client: Client) -> set[str]:
    keys = {search_key(client.name)}
    if client.corporate_number:
        keys.add(client.corporate_number)
    return {k for k in keys if k}


def _declaration_keys(declaration: ConflictDeclaration) -> set[str]:
    keys = {declaration.company_name_search or search_key(declaration.company_name)}
    if declaration.corporate_number:
        keys.add(declaration.corporate_number)
    return {k for k in keys if k}


def conflicts_for(
    expert: Expert,
    case: Case,
    competitors: list[str] | tuple[str, ...] = (),
    *,
    exclude_dispatch: int | None = None,
    may_name: Callable[[Dispatch], bool] | None = None,
) -> list[str]:
    """Why dispatching `expert` to `case`'s client is a conflict of interest (empty: none).

    Another engagement of a patent attorney is named (its client, its number) only when
    `may_name(dispatch)` says the reader may see that dispatch (`experts.policy`); otherwise
    it is "a conflict with another engagement" (docs/security.md, finding 3).
    """
    client = case.client
    if client is None:
        return []
    found: list[str] = []
    client_keys = _client_keys(client)
    competitor_keys = company_keys(list(competitors))
    for declaration in expert.conflicts.all():
        keys = _declaration_keys(declaration)
        if keys & client_keys:
            found.append(
                _("%(expert)s declared %(company)s (%(relation)s)")
                % {
                    "expert": expert.name,
                    "company": declaration.company_name,
                    "relation": declaration.get_relation_display(),
                }
            )
        elif keys & competitor_keys:
            found.append(
                _("%(expert)s declared %(company)s (%(relation)s), a competitor the client named")
                % {
                    "expert": expert.name,
                    "company": declaration.company_name,
                    "relation": declaration.get_relation_display(),
                }
            )
    if expert.is_patent_attorney:
        others = (
            Dispatch.objects.filter(
                expert=expert, status__in=(*UNDER_WAY, DispatchStatus.COMPLETED)
            )
            .exclude(case__client=client)
            .select_related("case__client")
        )
        if exclude_dispatch is not None:
            others = others.exclude(pk=exclude_dispatch)
        for other in others:
            other_client = other.case.client
            if other_client is None:
                continue
            their_competitors = company_keys(list(other.competitors or []))
            shared = competitor_keys & their_competitors
            rivals = (client_keys & their_competitors) or (
                _client_keys(other_client) & competitor_keys
            )
            if (shared or rivals) and may_name is not None and may_name(other):
                found.append(
                    _(
                        "patent attorney %(expert)s is already dispatched to %(other)s "
                        "(dispatch #%(id)s), whose case shares a declared competitor"
                    )
                    % {"expert": expert.name, "other": other_client.name, "id": other.pk}
                )
            elif shared or rivals:
                found.append(
                    _("patent attorney %(expert)s: a conflict with another engagement")
                    % {"expert": expert.name}
                )
    return found
