"""Template helpers for the referral panel the case page includes."""

from __future__ import annotations

from typing import Any

from django import template

from casebook.accounts.models import User
from casebook.intake import policy
from casebook.intake.models import Case
from casebook.referrals import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def case_referrals(context: dict[str, Any], case: Case) -> list[Any]:
    """The case's referrals (out and in) the viewing user may see, each marked `overdue`."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or case is None:
        return []
    referrals = list(selectors.referrals_for_case(user, case).order_by("-referred_at"))
    for referral in referrals:
        referral.overdue = selectors.is_overdue(referral)
    return referrals


@register.filter
def may_refer(case: Case, user: User) -> bool:
    return case.is_open and policy.can(user, policy.Action.REFER, case)
