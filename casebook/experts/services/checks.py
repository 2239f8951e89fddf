"""Checks that approval and submission run under their locks: conflicts of interest and
the day limits (program quota, sub-quota, the client's cap, the expert's yearly maximum)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casebook.accounts.models import User
from casebook.common.errors import ConflictError
from casebook.experts import policy, rules
from casebook.experts.models import Dispatch, DispatchProgram, Expert, SubQuota


def conflicts_seen_by(user: User, dispatch: Dispatch) -> list[str]:
    """`dispatch`'s conflicts of interest, naming only the other dispatches `user` may see."""
    return rules.conflicts_for(
        dispatch.expert,
        dispatch.case,
        dispatch.competitors,
        exclude_dispatch=dispatch.pk,
        may_name=lambda other: policy.can_see_dispatch(user, other),
    )


def refuse_conflicts(dispatch: Dispatch, *, by: User) -> None:
    if dispatch.conflict_overridden_at is not None:
        return
    found = conflicts_seen_by(by, dispatch)
    if found:
        raise ConflictError(
            _("conflict of interest: %(found)s. A manager may override it with a written reason.")
            % {"found": "; ".join(found)},
            code="conflict_of_interest",
        )


# What a full quota answers, by the code of the 409 (the program's, a sub-quota's).
_QUOTA_FULL = {
    "quota_exceeded": gettext_lazy(
        "the quota of %(program)s is %(quota)s days: %(taken)s are reserved or used, "
        "%(left)s remain, %(days)s requested"
    ),
    "sub_quota_exceeded": gettext_lazy(
        "the sub-quota %(name)s is %(quota)s days: %(taken)s are reserved or used, "
        "%(left)s remain, %(days)s requested"
    ),
}


def _refuse_over_quota(
    code: str, holder: DispatchProgram | SubQuota, days: Decimal, **dispatches: Any
) -> None:
    """409 `code` when `days` more than the days the `dispatches` of `holder` (a program or
    a sub-quota) have taken exceed its quota."""
    taken = rules.days_taken(Dispatch.objects.filter(**dispatches))
    if taken + days > holder.quota_days:
        left = max(holder.quota_days - taken, rules.ZERO)
        values = {"quota": holder.quota_days, "taken": taken, "left": left, "days": days}
        values |= {"program": holder.name, "name": holder.name}
        raise ConflictError(_QUOTA_FULL[code] % values, code=code)


def refuse_over_capacity(
    dispatch: Dispatch, program: DispatchProgram, expert: Expert, days: Decimal
) -> None:
    """Quota, sub-quota, client cap and expert maximum; the caller holds the locks."""
    if program.quota_days is not None:
        _refuse_over_quota("quota_exceeded", program, days, program=program)
    if dispatch.sub_quota is not None:
        _refuse_over_quota(
            "sub_quota_exceeded", dispatch.sub_quota, days, sub_quota=dispatch.sub_quota
        )
    client = dispatch.case.client
    if program.max_days_per_client is not None and client is not None:
        taken = rules.client_days_taken(program, client, exclude=dispatch.pk)
        if taken + days > program.max_days_per_client:
            raise ConflictError(
                _(
                    "the client's cap in %(program)s is %(cap)s days per fiscal year: %(taken)s "
                    "already taken, %(days)s requested"
                )
                % {
                    "program": program.name,
                    "cap": program.max_days_per_client,
                    "taken": taken,
                    "days": days,
                },
                code="client_cap_exceeded",
            )
    taken = rules.expert_days_taken(expert, program.fiscal_year, exclude=dispatch.pk)
    if taken + days > expert.max_days_per_fy:
        raise ConflictError(
            _(
                "%(expert)s may work at most %(max)s days in FY%(fy)s: %(taken)s already taken, "
                "%(days)s requested"
            )
            % {
                "expert": expert.name,
                "max": expert.max_days_per_fy,
                "fy": program.fiscal_year,
                "taken": taken,
                "days": days,
            },
            code="expert_max_exceeded",
        )
