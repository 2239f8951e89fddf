from __future__ import annotations

from django import template

from casebook.reports import policy

register = template.Library()


@register.filter
def may_read_reports(user: object) -> bool:
    """The nav's link to the reports (the rule is `casebook.reports.policy`)."""
    return policy.may_read_reports(user)
