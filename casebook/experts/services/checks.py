"""Checks that approval and submission run under their locks: conflicts of interest and
the day limits (program quota, sub-quota, the client's cap, the expert's yearly maximum)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from casebook.accounts.models import User
from casebook.common.errors import ConflictError
from casebook.experts import policy, rules
from casebook.experts.models import Dispatch, DispatchProgram, Expert


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


def _refuse_over_quota(
    quota: Decimal, taken: Decimal, days: Decimal, message: str, code: str, **names: str
) -> None:
    """409 `code` when `days` more than `taken` exceed `quota`; `message` names the quota, the
    days taken, left and requested, and `names`."""
    if taken + days > quota:
        left = max(quota - taken, rules.ZERO)
        values = {"quota": quota, "taken": taken, "left": left, "days": days, **names}
        raise ConflictError(message % values, code=code)


def refuse_over_capacity(
    dispatch: Dispatch, program: DispatchProgram, expert: Expert, days: Decimal
) -> None:
    """Quota, sub-quota, client cap and expert maximum; the caller holds the locks."""
    if program.quota_days is not None:
        taken = rules.days_taken(Dispatch.objects.filter(program=program))
        message = _(
            "the quota of %(program)s is %(quota)s days: %(taken)s are reserved or used, "
            "%(left)s remain, %(days)s requested"
        )
        _refuse_over_quota(
            program.quota_days, taken, days, message, "quota_exceeded", program=program.name
        )
    sub_quota = dispatch.sub_quota
    if sub_quota is not None:
        taken = rules.days_taken(Dispatch.objects.filter(sub_quota=sub_quota))
        message = _(
            "the sub-quota %(name)s is %(quota)s days: %(taken)s are reserved or used, "
            "%(left)s remain, %(days)s requested"
        )
        _refuse_over_quota(
            sub_quota.quota_days, taken, days, message, "sub_quota_exceeded", name=sub_quota.name
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
