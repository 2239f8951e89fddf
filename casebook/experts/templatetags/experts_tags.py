"""Template helpers: the dispatch panel of the case page and labels of expert codes."""

from __future__ import annotations

from typing import Any

from django import template

from casebook.accounts.models import User
from casebook.experts import selectors
from casebook.experts.forms import specialty_choices
from casebook.experts.models import Qualification
from casebook.intake import policy
from casebook.intake.models import Case

register = template.Library()


@register.simple_tag(takes_context=True)
def case_dispatches(context: dict[str, Any], case: Case) -> list[Any]:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or case is None:
        return []
    return list(selectors.dispatches_of_case_for_user(user, case))


@register.filter
def may_request_dispatch(case: Case, user: User) -> bool:
    return case.status in ("assigned", "active", "dispatch") and policy.can(
        user, policy.Action.REQUEST_DISPATCH, case
    )


@register.filter
def qualification_labels(codes: list[str] | None) -> str:
    labels = dict(Qualification.choices)
    return "、".join(str(labels.get(code, code)) for code in codes or [])


@register.filter
def specialty_labels(codes: list[str] | None) -> str:
    labels = dict(specialty_choices())
    return "、".join(str(labels.get(code, code)) for code in codes or [])


@register.filter
def days(value: Any) -> str:
    """1.0 -> 1, 2.5 -> 2.5: days without a trailing .0."""
    if value is None:
        return "—"
    text = f"{value:f}" if hasattr(value, "normalize") else str(value)
    return text[:-2] if text.endswith(".0") else text
