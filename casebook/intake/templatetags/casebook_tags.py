"""Template filters of the screens: Japanese dates, 和暦 fiscal years, yen, ages, labels."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms, template
from django.forms import BoundField
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from casebook.common.fiscal import fiscal_year_label, wareki_date
from casebook.common.fragments import field_once
from casebook.intake.forms import TopicChips

register = template.Library()


def local_date(value: dt.date | dt.datetime, zone: dt.tzinfo | None = None) -> dt.date:
    """The day of `value` in `zone` (the current time zone by default)."""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value, zone).date() if timezone.is_aware(value) else value.date()
    return value


def is_japanese() -> bool:
    return (get_language() or "ja").startswith("ja")


def date_label(day: dt.date, *, japanese: bool) -> str:
    """`2026年11月26日` in Japanese, the active locale's date format otherwise."""
    if japanese:
        return f"{day.year}年{day.month}月{day.day}日"
    return formats.date_format(day, "DATE_FORMAT")


@register.filter
def jdate(value: dt.date | dt.datetime | None) -> str:
    """`2026年11月26日` in Japanese, the active locale's date format otherwise."""
    if not value:
        return ""
    return date_label(local_date(value), japanese=is_japanese())


@register.filter
def jdatetime(value: dt.datetime | None) -> str:
    """`2026年11月26日 14:05` in local time."""
    if not value:
        return ""
    moment = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{jdate(moment)} {moment:%H:%M}"


@register.filter
def wareki(value: dt.date | dt.datetime | None) -> str:
    """`令和8年11月26日`."""
    if not value:
        return ""
    return wareki_date(local_date(value))


@register.filter
def fiscal_year(value: int | None) -> str:
    """`2026年度（令和8年度）`: 西暦 with 和暦 beside it."""
    if not value:
        return ""
    return fiscal_year_label(int(value))


@register.filter
def age_days(value: dt.date | dt.datetime | None) -> int | None:
    """Whole days from `value` to today (local time)."""
    if not value:
        return None
    return (timezone.localdate() - local_date(value)).days


@register.filter
def yen(value: int | None) -> str:
    if value is None or value == "":
        return ""
    return f"{int(value):,}円" if is_japanese() else f"¥{int(value):,}"


@register.filter
def is_past(value: dt.date | dt.datetime | None) -> bool:
    return bool(value) and local_date(value) < timezone.localdate()


@register.inclusion_tag("includes/fields.html")
def form_fields(form: forms.BaseForm, names: str) -> dict[str, Any]:
    """The fields `names` (space-separated) of `form`, in that order, each drawn by
    includes/field.html: `{% form_fields form "q desk topic" %}`."""
    return {"fields": [form[name] for name in names.split()]}


@register.simple_tag(name="field_once")
def field_once_tag(field: BoundField) -> SafeString:
    """`{% field_once field %}`: what `{% include "includes/field.html" %}` draws for `field`,
    reused for an unbound form's field drawn the same before (`common.fragments.field_once`)."""
    return field_once(field)


@register.simple_tag
def form_fields_once(form: forms.BaseForm, names: str) -> SafeString:
    """`{% form_fields form names %}` drawn by `field_once`: each field followed by a line
    break, as includes/fields.html lays them out."""
    return mark_safe("".join(f"{field_once(form[name])}\n" for name in names.split()))


@register.filter
def field_type(bound: BoundField) -> str:
    """How the field template lays the widget out: chips, multi, checkbox, select, textarea …"""
    widget = bound.field.widget
    if isinstance(widget, TopicChips):
        return "chips"
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "multi"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    return getattr(widget, "input_type", None) or "text"


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """`mapping[key]` for dicts and forms alike (a form's bound field by name); None if absent."""
    if mapping is None:
        return None
    try:
        return mapping[key]
    except (KeyError, IndexError, TypeError):
        return None


@register.simple_tag(takes_context=True)
def history_link(context: template.Context, kind: str, pk: int) -> str:
    """The link to an object's history (docs/security.md, "Audit screens"), for the readers
    of the audit trail only (`accounts.policy.reads_audit_trail` decides)."""
    from casebook.accounts import policy as account_policy

    request = context.get("request")
    if request is None or not account_policy.reads_audit_trail(request.user):
        return ""
    url = reverse("object_history", args=[kind, pk])
    return format_html('<p class="history-link"><a href="{}">{}</a></p>', url, _("History"))


@register.simple_tag
def timeline_session(session: Any, actions: frozenset[str]) -> SafeString:
    """`{% timeline_session entry.obj actions %}`: a session's entry on the case page's
    timeline, drawn from text kept once per shape (`intake.fragments.timeline_session`)."""
    # Imported here: the fragments module uses this module's date filters.
    from casebook.intake.fragments import timeline_session as draw

    return draw(session, can_correct="log_session" in actions)
