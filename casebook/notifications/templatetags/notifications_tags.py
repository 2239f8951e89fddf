"""The nav's unread count: one bounded count per page (index `inbox_unread`)."""

from __future__ import annotations

from django import template

from casebook.notifications import selectors

register = template.Library()


@register.simple_tag
def unread_notifications(user: object) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return selectors.unread_count(user=user)


@register.filter
def capped(count: int, cap: int = selectors.UNREAD_COUNT_CAP) -> str:
    """99+ from the cap on (the count stops there)."""
    return f"{cap - 1}+" if count >= cap else str(count)
