"""The nav asks the exits policy whether to link the team's dashboard."""

from __future__ import annotations

from typing import Any

from django import template

from casebook.exits import policy

register = template.Library()


@register.filter
def works_the_exit_track(user: Any) -> bool:
    return policy.works_the_track(user)


@register.filter
def reads_the_access_log(user: Any) -> bool:
    return policy.may_read_access_log(user)
