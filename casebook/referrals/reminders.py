"""Overdue referrals as reminders, and referrals as the subject of notifications.

Registered in ReferralsConfig.ready() with the extension registry (docs/notifications.md).
A referral is overdue the day after its due date (the answer of an internal one, the
acknowledgement or the outcome of an external one); the reminder goes out on the first
business day it is overdue, to the referrer, the referring case's lead counselor and, for an
internal referral, the receiving desk's coordinators; both desks' boards are refreshed.
This replaces the daily `referrals_overdue` command.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casebook.accounts.selectors import desk_coordinator_ids
from casebook.common.calendar import add_business_days
from casebook.common.extensions import NoticeSubject, Reminder, ReminderKind, reminder_date
from casebook.intake.events import publish_case_event
from casebook.referrals.models import OPEN_STATUSES, Referral, ReferralKind, ReferralStatus
from casebook.referrals.policy import visible_referrals_q
from casebook.referrals.services.common import notify_ids

if TYPE_CHECKING:
    from casebook.accounts.models import User
    from casebook.common.extensions import Registry

# The business day after a due date lies at most this far after it (年末年始 included).
LOOKBACK = dt.timedelta(days=16)
STAGES = {
    ReferralStatus.PENDING: "answer",
    ReferralStatus.SENT: "acknowledgement",
    ReferralStatus.ACKNOWLEDGED: "outcome",
}
REFERRAL_OVERDUE = ReminderKind("referral_overdue", gettext_lazy("referral overdue"), order=60)


def referral_titles(user: User, ids: Sequence[int]) -> Mapping[int, str]:
    """The referrals `user` may see now, by number and desks or partner (never the client)."""
    rows = (
        Referral.objects.filter(visible_referrals_q(user), pk__in=list(ids))
        .values_list("pk", "from_case__desk__name", "to_desk__name", "to_partner__name")
        .distinct()
    )
    return {
        pk: _("referral #%(id)s %(from)s → %(to)s")
        % {"id": pk, "from": origin, "to": desk or partner or ""}
        for pk, origin, desk, partner in rows
    }


def referral_url(pk: int) -> str:
    return reverse("referrals:detail", args=[pk])


def _announce(referral: Referral) -> Callable[[], None]:
    """Refresh both desks' boards and case pages (the people are told by the reminder)."""

    def fire() -> None:
        publish_case_event(referral.from_case, "referral_overdue")
        if referral.created_case_id:
            publish_case_event(referral.created_case, "referral_overdue")

    return fire


def referral_overdue_reminders(first_day: dt.date, today: dt.date) -> Iterable[Reminder]:
    referrals = list(
        Referral.objects.filter(
            status__in=sorted(OPEN_STATUSES),
            due_on__range=(first_day - LOOKBACK, today - dt.timedelta(days=1)),
        )
        .select_related("from_case__desk", "created_case__desk")
        .order_by("due_on", "pk")
    )
    receiving = {r.to_desk_id for r in referrals if r.kind == ReferralKind.INTERNAL}
    coordinators = desk_coordinator_ids(desk_ids=receiving)
    for referral in referrals:
        day = add_business_days(referral.due_on, 1)
        if not first_day <= day <= today:
            continue
        recipients = set(notify_ids(referral))
        if referral.kind == ReferralKind.INTERNAL:
            recipients |= coordinators.get(referral.to_desk_id, set())
        yield REFERRAL_OVERDUE.occasion(
            f"referral={referral.pk}:{referral.status}:{referral.due_on}",
            subject=referral,
            recipient_ids=recipients,
            due_on=day,
            params={"stage": STAGES[referral.status], "due": referral.due_on.isoformat()},
            on_fire=_announce(referral),
        )


def referral_overdue_text(subject: str, params: Mapping[str, Any]) -> str:
    values = {
        "subject": subject,
        "due": reminder_date(params, "due"),
    }
    stage = params.get("stage")
    if stage == "acknowledgement":
        return _("%(subject)s: the partner's acknowledgement was due by %(due)s") % values
    if stage == "outcome":
        return _("%(subject)s: the partner's outcome report was due by %(due)s") % values
    return _("%(subject)s: the receiving desk's answer was due by %(due)s") % values


def register(registry: Registry) -> None:
    registry.add_notice_subject(NoticeSubject("referrals.referral", referral_titles, referral_url))
    registry.add_reminder_source(
        REFERRAL_OVERDUE.source(referral_overdue_reminders, referral_overdue_text)
    )
