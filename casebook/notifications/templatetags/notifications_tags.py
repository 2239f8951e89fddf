"""The unread count as the inbox and the nav print it (the nav counts it in
`casebook/accounts/templatetags/layout_tags.py`: one bounded count per page, index
`inbox_unread`)."""

from __future__ import annotations

from django import template

from casebook.notifications import selectors

register = template.Library()


@register.filter
def capped(count: int, cap: int = selectors.UNREAD_COUNT_CAP) -> str:
    """99+ from the cap on (the count stops there)."""
    return f"{cap - 1}+" if count >= cap else str(count)
