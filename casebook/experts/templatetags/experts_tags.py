"""Template filters of the dispatch screens: labels of expert codes, days without a trailing .0."""

from __future__ import annotations

from typing import Any

from django import template

from casebook.experts.models import Qualification

register = template.Library()


@register.filter
def qualification_labels(codes: list[str] | None) -> str:
    labels = dict(Qualification.choices)
    return "、".join(str(labels.get(code, code)) for code in codes or [])


@register.filter
def specialty_labels(codes: list[str] | None, labels: dict[str, str]) -> str:
    """The names of specialty codes, from `labels` (the page reads them once)."""
    return "、".join(str(labels.get(code, code)) for code in codes or [])


@register.filter
def days(value: Any) -> str:
    """1.0 -> 1, 2.5 -> 2.5: days without a trailing .0."""
    if value is None:
        return "—"
    text = f"{value:f}" if hasattr(value, "normalize") else str(value)
    return text[:-2] if text.endswith(".0") else text
