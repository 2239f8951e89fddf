"""Reminders about late expert reports, and dispatches as the subject of notifications.

Registered in ExpertsConfig.ready() with the extension registry (docs/notifications.md).
The deadlines are those of the coordinator page (rules.py): a visit report is late once
5 business days after the visit have passed; a final report once 7 days after the last
visit have passed. The reminder goes out on the first business day it is late, to the
expert's login (if any) and the coordinators of the program's desk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.db.models import Max
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casebook.accounts.selectors import desk_coordinator_ids
from casebook.common.calendar import add_business_days, business_day_on_or_after
from casebook.common.extensions import NoticeSubject, Reminder, ReminderKind, reminder_date
from casebook.experts import policy
from casebook.experts.models import Dispatch, DispatchStatus, DispatchVisit
from casebook.experts.rules import FINAL_REPORT_DAYS, final_report_due, visit_report_due

if TYPE_CHECKING:
    from casebook.accounts.models import User
    from casebook.common.extensions import Registry

# A report deadline plus the longest run of closed days stays well within this.
LOOKBACK = dt.timedelta(days=40)

VISIT_REPORT_LATE = ReminderKind("visit_report_late", gettext_lazy("visit report late"), order=40)
FINAL_REPORT_LATE = ReminderKind("final_report_late", gettext_lazy("final report late"), order=50)


def dispatch_titles(user: User, ids: Sequence[int]) -> Mapping[int, str]:
    """The dispatches `user` may see now, by number and expert (never the client: an exit-
    track case's client stays inside the dispatch page)."""
    rows = (
        policy.dispatches_visible_to(user)
        .filter(pk__in=list(ids))
        .values_list("pk", "expert__name")
    )
    return {
        pk: _("dispatch #%(id)s (%(expert)s)") % {"id": pk, "expert": name} for pk, name in rows
    }


def dispatch_url(pk: int) -> str:
    return reverse("experts:dispatch", args=[pk])


def _recipients(dispatch: Dispatch, coordinators: dict[int, set[int]]) -> frozenset[int]:
    ids = set(coordinators.get(dispatch.program.desk_id, set()))
    if dispatch.expert.user_id:
        ids.add(dispatch.expert.user_id)
    return frozenset(ids)


def visit_report_reminders(first_day: dt.date, today: dt.date) -> Iterable[Reminder]:
    visits = list(
        DispatchVisit.objects.filter(
            report_filed_at__isnull=True,
            date__range=(first_day - LOOKBACK, today),
            dispatch__status__in=(
                DispatchStatus.SCHEDULED,
                DispatchStatus.COMPLETED,
                DispatchStatus.CANCELLED,
            ),
        )
        .select_related("dispatch__program", "dispatch__expert")
        .order_by("date", "pk")
    )
    coordinators = desk_coordinator_ids(desk_ids=(v.dispatch.program.desk_id for v in visits))
    for visit in visits:
        due = visit_report_due(visit)
        day = add_business_days(due, 1)
        if not first_day <= day <= today:
            continue
        yield VISIT_REPORT_LATE.occasion(
            f"visit={visit.pk}:{visit.date}",
            subject=visit.dispatch,
            recipient_ids=_recipients(visit.dispatch, coordinators),
            due_on=day,
            params={"visit": visit.date.isoformat(), "due": due.isoformat()},
        )


def visit_report_text(subject: str, params: Mapping[str, Any]) -> str:
    return _("%(subject)s: the report of the visit on %(visit)s was due by %(due)s") % {
        "subject": subject,
        "visit": reminder_date(params, "visit"),
        "due": reminder_date(params, "due"),
    }


def final_report_reminders(first_day: dt.date, today: dt.date) -> Iterable[Reminder]:
    late_after = dt.timedelta(days=FINAL_REPORT_DAYS + 1)
    dispatches = list(
        Dispatch.objects.filter(
            status__in=(DispatchStatus.SCHEDULED, DispatchStatus.COMPLETED),
            final_report_at__isnull=True,
        )
        .annotate(last_visit=Max("visits__date"))
        .filter(last_visit__range=(first_day - LOOKBACK, today - late_after))
        .select_related("program", "expert")
        .order_by("pk")
    )
    coordinators = desk_coordinator_ids(desk_ids=(d.program.desk_id for d in dispatches))
    for dispatch in dispatches:
        day = business_day_on_or_after(dispatch.last_visit + late_after)
        if not first_day <= day <= today:
            continue
        due = final_report_due(dispatch.last_visit)
        yield FINAL_REPORT_LATE.occasion(
            f"dispatch={dispatch.pk}:{dispatch.last_visit}",
            subject=dispatch,
            recipient_ids=_recipients(dispatch, coordinators),
            due_on=day,
            params={"last_visit": dispatch.last_visit.isoformat(), "due": due.isoformat()},
        )


def final_report_text(subject: str, params: Mapping[str, Any]) -> str:
    return _("%(subject)s: the final report was due by %(due)s (last visit %(last_visit)s)") % {
        "subject": subject,
        "due": reminder_date(params, "due"),
        "last_visit": reminder_date(params, "last_visit"),
    }


def register(registry: Registry) -> None:
    registry.add_notice_subject(NoticeSubject("experts.dispatch", dispatch_titles, dispatch_url))
    registry.add_reminder_source(
        VISIT_REPORT_LATE.source(visit_report_reminders, visit_report_text)
    )
    registry.add_reminder_source(
        FINAL_REPORT_LATE.source(final_report_reminders, final_report_text)
    )
