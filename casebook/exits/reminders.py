"""Reminders of the exit track (docs/notifications.md), registered in ExitsConfig.ready():

- `exit_milestone_due`: an open milestone's due date reached (on a closed day, the next
  business day), to the milestone's owner and the plan's owner;
- `exit_legal_deadline`: 7 days before the legal deadline of an open statutory step of an
  orderly closure (on a closed day, the business day before: a warning is never late), to
  the same people and the case's lead counselor.

The subject is the case: its notice subject names a restricted case by its number only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casebook.common.calendar import business_day_on_or_after, business_day_on_or_before
from casebook.common.extensions import Reminder, ReminderKind, reminder_date
from casebook.exits.deadlines import Rule
from casebook.exits.models import Milestone

if TYPE_CHECKING:
    from casebook.common.extensions import Registry

LEGAL_DEADLINE_WARNING_DAYS = 7
MILESTONE_DUE = ReminderKind("exit_milestone_due", gettext_lazy("exit milestone due"), order=70)
LEGAL_DEADLINE = ReminderKind(
    "exit_legal_deadline", gettext_lazy("legal deadline of an orderly closure near"), order=80
)
# Longer than any run of closed days (年末年始 with a weekend, Golden Week).
CLOSED_RUN_MARGIN = dt.timedelta(days=16)


def _open_milestones() -> Any:
    return Milestone.objects.filter(completed_on__isnull=True, plan__on_track=True).select_related(
        "plan__case"
    )


def _recipients(milestone: Milestone, *, lead: bool = False) -> frozenset[int]:
    ids = {milestone.owner_id, milestone.plan.owner_id}
    if lead:
        ids.add(milestone.plan.case.lead_counselor_id)
    return frozenset(pk for pk in ids if pk)


def milestone_due_reminders(first_day: dt.date, today: dt.date) -> Iterable[Reminder]:
    rows = _open_milestones().filter(due_on__range=(first_day - CLOSED_RUN_MARGIN, today))
    for milestone in rows.order_by("due_on", "pk"):
        day = business_day_on_or_after(milestone.due_on)
        if not first_day <= day <= today:
            continue
        yield MILESTONE_DUE.occasion(
            f"milestone={milestone.pk}:{milestone.due_on}",
            subject=milestone.plan.case,
            recipient_ids=_recipients(milestone),
            due_on=day,
            params={"milestone": milestone.name, "date": milestone.due_on.isoformat()},
        )


def legal_deadline_reminders(first_day: dt.date, today: dt.date) -> Iterable[Reminder]:
    warning = dt.timedelta(days=LEGAL_DEADLINE_WARNING_DAYS)
    rows = _open_milestones().filter(
        deadline_rule=Rule.BY,
        legal_deadline__range=(first_day + warning, today + warning + CLOSED_RUN_MARGIN),
    )
    for milestone in rows.order_by("legal_deadline", "pk"):
        day = business_day_on_or_before(milestone.legal_deadline - warning)
        if not first_day <= day <= today:
            continue
        yield LEGAL_DEADLINE.occasion(
            f"milestone={milestone.pk}:{milestone.legal_deadline}",
            subject=milestone.plan.case,
            recipient_ids=_recipients(milestone, lead=True),
            due_on=day,
            params={"milestone": milestone.name, "date": milestone.legal_deadline.isoformat()},
        )


def _values(subject: str, params: Mapping[str, Any]) -> dict[str, str]:
    return {
        "subject": subject,
        "milestone": params["milestone"],
        "date": reminder_date(params, "date"),
    }


def milestone_due_text(subject: str, params: Mapping[str, Any]) -> str:
    return _("%(subject)s: the exit milestone “%(milestone)s” is due on %(date)s") % _values(
        subject, params
    )


def legal_deadline_text(subject: str, params: Mapping[str, Any]) -> str:
    return _("%(subject)s: the legal deadline of “%(milestone)s” is %(date)s") % _values(
        subject, params
    )


def register(registry: Registry) -> None:
    registry.add_reminder_sources(
        MILESTONE_DUE.source(milestone_due_reminders, milestone_due_text),
        LEGAL_DEADLINE.source(legal_deadline_reminders, legal_deadline_text),
    )
