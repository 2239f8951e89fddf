"""Reminders found in the case data, and cases as the subject of notifications.

Registered in IntakeConfig.ready() with the extension registry; the reminder job of
`casebook.notifications` sends each occasion once (docs/notifications.md). Days:

- IP novelty grace period (Patent Act art. 30, 1 year from the disclosure): 60 and 14 days
  before the deadline, to the case's counselors and the desk's coordinators; a day that is
  not a business day moves to the business day before it (a warning is never late);
- a follow-up date reached (the latest session's), to the case's counselors;
- a hold's resume-by date reached, to the case's counselors;
a date reached on a closed day is reminded on the next business day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.db.models import F, OuterRef, Subquery
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casebook.accounts.selectors import desk_coordinator_ids
from casebook.common.calendar import business_day_on_or_after, business_day_on_or_before
from casebook.common.extensions import NoticeSubject, Reminder, ReminderKind, reminder_date
from casebook.intake import policy
from casebook.intake.models import (
    GRACE_PERIOD_ALERT_DAYS,
    Case,
    CaseStatus,
    ConsultationSession,
    IpDetails,
    grace_period_deadline,
)

if TYPE_CHECKING:
    from casebook.accounts.models import User
    from casebook.common.extensions import Registry

# The longest run of closed days (年末年始 plus a weekend, or Golden Week) is well below this:
# enough to find every occasion whose reminder day moved into the window.
CLOSED_RUN_MARGIN = dt.timedelta(days=16)
OPEN = [s for s in CaseStatus.values if s != CaseStatus.CLOSED]

IP_GRACE_PERIOD = ReminderKind(
    "ip_grace_period", gettext_lazy("IP novelty grace period ending"), order=10
)
FOLLOW_UP_DUE = ReminderKind("follow_up_due", gettext_lazy("follow-up date reached"), order=20)
HOLD_RESUME_DUE = ReminderKind("hold_resume_due", gettext_lazy("hold to resume"), order=30)


def case_titles(user: User, ids: Sequence[int]) -> Mapping[int, str]:
    """Number and title of the cases `user` may see now; a restricted case by its number only
    (its details stay inside the case page, which logs the read)."""
    rows = (
        policy.cases_visible_to(user)
        .filter(pk__in=list(ids))
        .values_list("pk", "number", "title", "confidentiality")
    )
    return {
        pk: number if confidentiality == "restricted" else f"{number} {title}"
        for pk, number, title, confidentiality in rows
    }


def case_url(pk: int) -> str:
    return reverse("case_detail", args=[pk])


def _counselor_ids(case: Case) -> set[int]:
    ids = {user.pk for user in case.co_counselors.all()}
    if case.lead_counselor_id:
        ids.add(case.lead_counselor_id)
    return ids


# --- IP novelty grace period ----------------------------------------------------------------


def ip_grace_period_reminders(first_day: dt.date, today: dt.date) -> Iterable[Reminder]:
    shortest, longest = min(GRACE_PERIOD_ALERT_DAYS), max(GRACE_PERIOD_ALERT_DAYS)
    # deadline = disclosure + 1 year; alert day <= deadline - days <= alert day + margin.
    earliest = first_day + dt.timedelta(days=shortest) - dt.timedelta(days=367)
    latest = today + CLOSED_RUN_MARGIN + dt.timedelta(days=longest) - dt.timedelta(days=364)
    details = list(
        IpDetails.objects.filter(invention_disclosed_on__range=(earliest, latest))
        .filter(case__status__in=OPEN)
        .select_related("case")
        .prefetch_related("case__co_counselors")
        .order_by("pk")
    )
    coordinators = desk_coordinator_ids(desk_ids=(d.case.desk_id for d in details))
    for detail in details:
        case = detail.case
        deadline = grace_period_deadline(detail.invention_disclosed_on)
        for days in GRACE_PERIOD_ALERT_DAYS:
            day = business_day_on_or_before(deadline - dt.timedelta(days=days))
            if not first_day <= day <= today:
                continue
            yield IP_GRACE_PERIOD.occasion(
                f"case={case.pk}:{deadline}:{days}",
                subject=case,
                recipient_ids=_counselor_ids(case) | coordinators.get(case.desk_id, set()),
                due_on=day,
                params={"deadline": deadline.isoformat(), "days": (deadline - day).days},
            )


def ip_grace_period_text(subject: str, params: Mapping[str, Any]) -> str:
    return _(
        "%(subject)s: the novelty grace period (Patent Act art. 30) ends on %(deadline)s, "
        "in %(days)s days"
    ) % {"subject": subject, "deadline": reminder_date(params, "deadline"), "days": params["days"]}


# --- follow-ups and holds -------------------------------------------------------------------


def follow_up_reminders(first_day: dt.date, today: dt.date) -> Iterable[Reminder]:
    latest_session = (
        ConsultationSession.objects.filter(case=OuterRef("case"))
        .order_by("-started_at", "-id")
        .values("pk")[:1]
    )
    sessions = (
        ConsultationSession.objects.filter(
            follow_up_on__range=(first_day - CLOSED_RUN_MARGIN, today),
            case__status__in=OPEN,
        )
        .annotate(latest=Subquery(latest_session))
        .filter(pk=F("latest"))
        .select_related("case")
        .prefetch_related("case__co_counselors")
        .order_by("pk")
    )
    for session in sessions:
        day = business_day_on_or_after(session.follow_up_on)
        if not first_day <= day <= today:
            continue
        yield FOLLOW_UP_DUE.occasion(
            f"session={session.pk}:{session.follow_up_on}",
            subject=session.case,
            recipient_ids=_counselor_ids(session.case),
            due_on=day,
            params={"date": session.follow_up_on.isoformat()},
        )


def follow_up_text(subject: str, params: Mapping[str, Any]) -> str:
    return _("%(subject)s: the follow-up date %(date)s has come") % {
        "subject": subject,
        "date": reminder_date(params, "date"),
    }


def hold_resume_reminders(first_day: dt.date, today: dt.date) -> Iterable[Reminder]:
    cases = (
        Case.objects.filter(
            status=CaseStatus.ON_HOLD, resume_by__range=(first_day - CLOSED_RUN_MARGIN, today)
        )
        .prefetch_related("co_counselors")
        .order_by("pk")
    )
    for case in cases:
        day = business_day_on_or_after(case.resume_by)
        if not first_day <= day <= today:
            continue
        yield HOLD_RESUME_DUE.occasion(
            f"case={case.pk}:{case.resume_by}",
            subject=case,
            recipient_ids=_counselor_ids(case),
            due_on=day,
            params={"date": case.resume_by.isoformat()},
        )


def hold_resume_text(subject: str, params: Mapping[str, Any]) -> str:
    return _("%(subject)s: on hold until %(date)s, time to resume") % {
        "subject": subject,
        "date": reminder_date(params, "date"),
    }


def register(registry: Registry) -> None:
    registry.add_notice_subject(NoticeSubject("intake.case", case_titles, case_url))
    registry.add_reminder_sources(
        IP_GRACE_PERIOD.source(ip_grace_period_reminders, ip_grace_period_text),
        FOLLOW_UP_DUE.source(follow_up_reminders, follow_up_text),
        HOLD_RESUME_DUE.source(hold_resume_reminders, hold_resume_text),
    )
