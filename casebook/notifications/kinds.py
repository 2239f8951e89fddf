"""Every kind of notification a user can receive, and the line each one reads as.

Two families: events about a case published to named people (`casebook.intake.live`
names them) and the reminders the apps register as sources in the extension registry.
The text is rendered for its reader, in the active language, when shown or mailed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casebook.common.extensions import registry
from casebook.intake.live import KIND_LABELS

EVENT = "event"
REMINDER = "reminder"
GROUP_LABELS = {REMINDER: gettext_lazy("Reminders"), EVENT: gettext_lazy("Changes to cases")}


@dataclass(frozen=True)
class Kind:
    code: str
    label: Any
    group: str


def all_kinds() -> list[Kind]:
    """Reminders first (what people most want in their mail), then case events."""
    reminders = [Kind(s.kind, s.label, REMINDER) for s in registry.sources()]
    events = [Kind(code, label, EVENT) for code, label in KIND_LABELS.items()]
    return reminders + events


def kind_codes() -> set[str]:
    return {kind.code for kind in all_kinds()}


def kind_label(code: str) -> str:
    source = registry.reminder_sources.get(code)
    if source is not None:
        return str(source.label)
    label = KIND_LABELS.get(code)
    return str(label) if label is not None else code


def render_text(code: str, subject: str, params: Mapping[str, Any]) -> str:
    """The line a notification reads as, for a reader who may see its subject."""
    source = registry.reminder_sources.get(code)
    if source is not None:
        return source.text(subject, params)
    if code == "assigned":
        if params.get("to_you"):
            return _("%(subject)s: you are now the lead counselor") % {"subject": subject}
        return _("%(subject)s: handed to another lead counselor") % {"subject": subject}
    return _("%(subject)s: %(event)s") % {"subject": subject, "event": kind_label(code)}


def gone_text() -> str:
    return _("This notification is about something you can no longer see.")
