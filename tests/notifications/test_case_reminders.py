"""Reminders found in the case data: IP grace period, follow-ups, holds (intake's sources)."""

from __future__ import annotations

import datetime as dt

import pytest

from casebook.accounts.models import DeskMembership
from casebook.common.extensions import Reminder
from casebook.intake.models import Case, IpDetails
from casebook.intake.reminders import case_titles
from casebook.notifications.models import Notification, ReminderOccasion
from casebook.notifications.services import reminder_send, reminders_run
from tests.factories import CaseFactory, SessionFactory, desk
from tests.notifications.helpers import WEDNESDAY, day_before, recipients, sent_on

pytestmark = pytest.mark.django_db


def ip_case(counselor, *, disclosed_on: dt.date, **kwargs):
    case = CaseFactory(
        desk=desk("ip"),
        status="active",
        lead_counselor=counselor,
        confidentiality="confidential",
        title="新製品の特許出願",
        **kwargs,
    )
    IpDetails.objects.create(case=case, invention_disclosed_on=disclosed_on)
    return case


# --- IP novelty grace period ----------------------------------------------------------------


def test_the_grace_period_alerts_60_and_14_days_before_the_deadline(ip_counselor, ip_coordinator):
    # Disclosed 2025-08-10: the deadline is 2026-08-10 (Mon); 60 days before is 2026-06-11
    # (Thu), 14 days before is 2026-07-27 (Mon).
    case = ip_case(ip_counselor, disclosed_on=dt.date(2025, 8, 10))

    assert sent_on(dt.date(2026, 6, 10), "ip_grace_period") == []
    sixty = sent_on(dt.date(2026, 6, 11), "ip_grace_period")
    assert sent_on(dt.date(2026, 7, 26), "ip_grace_period") == []
    fourteen = sent_on(dt.date(2026, 7, 27), "ip_grace_period")

    assert recipients(sixty) == recipients(fourteen) == {ip_counselor.pk, ip_coordinator.pk}
    assert {n.subject_id for n in sixty + fourteen} == {case.pk}
    assert [n.params for n in sixty[:1] + fourteen[:1]] == [
        {"deadline": "2026-08-10", "days": 60},
        {"deadline": "2026-08-10", "days": 14},
    ]


def test_a_grace_period_alert_due_in_golden_week_comes_on_the_last_business_day_before(
    ip_counselor, ip_coordinator
):
    # Deadline 2026-05-18: 14 days before is 2026-05-04 (a holiday in Golden Week); the last
    # business day before it is Friday 1 May, not Thursday 30 April.
    ip_case(ip_counselor, disclosed_on=dt.date(2025, 5, 18))

    assert sent_on(dt.date(2026, 4, 30), "ip_grace_period") == []
    alerts = sent_on(dt.date(2026, 5, 1), "ip_grace_period")

    assert recipients(alerts) == {ip_counselor.pk, ip_coordinator.pk}
    assert alerts[0].params == {"deadline": "2026-05-18", "days": 17}


def test_a_grace_period_alert_due_in_the_year_end_closure_comes_before_it(ip_counselor):
    # Deadline 2027-02-28: 60 days before is 2026-12-30, inside the closure; the last
    # business day before it is Monday 28 December 2026.
    ip_case(ip_counselor, disclosed_on=dt.date(2026, 2, 28))

    assert sent_on(dt.date(2026, 12, 25), "ip_grace_period") == []
    assert recipients(sent_on(dt.date(2026, 12, 28), "ip_grace_period")) == {ip_counselor.pk}


def test_a_closed_ip_case_gets_no_grace_period_alert(ip_counselor):
    case = ip_case(ip_counselor, disclosed_on=dt.date(2025, 8, 10))
    Case.objects.filter(pk=case.pk).update(
        status="closed", closure_reason="resolved", closure_summary="出願済み"
    )

    assert sent_on(dt.date(2026, 6, 11), "ip_grace_period") == []


# --- follow-ups ------------------------------------------------------------------------------


def test_a_follow_up_date_is_reminded_on_its_day_and_not_the_day_before(cast, led_case):
    SessionFactory(case=led_case, follow_up_on=WEDNESDAY)

    assert sent_on(day_before(WEDNESDAY), "follow_up_due") == []
    reminded = sent_on(WEDNESDAY, "follow_up_due")

    assert recipients(reminded) == {cast.counselor.pk}
    assert reminded[0].subject_type == "intake.case"
    assert reminded[0].subject_id == led_case.pk


def test_a_follow_up_on_a_saturday_is_reminded_on_monday(cast, led_case):
    SessionFactory(case=led_case, follow_up_on=dt.date(2026, 6, 13))

    assert sent_on(dt.date(2026, 6, 13), "follow_up_due") == []
    assert sent_on(dt.date(2026, 6, 14), "follow_up_due") == []
    assert recipients(sent_on(dt.date(2026, 6, 15), "follow_up_due")) == {cast.counselor.pk}


def test_a_follow_up_in_the_year_end_closure_is_reminded_when_the_office_opens(cast, led_case):
    SessionFactory(case=led_case, follow_up_on=dt.date(2025, 12, 30))

    assert sent_on(dt.date(2026, 1, 4), "follow_up_due") == []
    assert recipients(sent_on(dt.date(2026, 1, 5), "follow_up_due")) == {cast.counselor.pk}


def test_a_follow_up_reaches_every_counselor_of_the_case(cast, led_case):
    led_case.co_counselors.add(cast.coordinator)
    SessionFactory(case=led_case, follow_up_on=WEDNESDAY)

    assert recipients(sent_on(WEDNESDAY, "follow_up_due")) == {
        cast.counselor.pk,
        cast.coordinator.pk,
    }


def test_only_the_latest_sessions_follow_up_counts(cast, led_case):
    SessionFactory(
        case=led_case,
        follow_up_on=WEDNESDAY,
        started_at=dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC),
    )
    SessionFactory(
        case=led_case,
        follow_up_on=None,
        started_at=dt.datetime(2026, 6, 8, 10, tzinfo=dt.UTC),
    )

    assert sent_on(WEDNESDAY, "follow_up_due") == []


# --- holds -----------------------------------------------------------------------------------


def test_a_hold_is_reminded_on_its_resume_by_date_across_golden_week(cast):
    case = CaseFactory(
        desk=desk("yorozu"),
        status="on_hold",
        lead_counselor=cast.counselor,
        hold_reason="資料待ち",
        resume_by=dt.date(2026, 5, 4),
    )

    assert sent_on(dt.date(2026, 5, 1), "hold_resume_due") == []
    assert sent_on(dt.date(2026, 5, 6), "hold_resume_due") == []
    reminded = sent_on(dt.date(2026, 5, 7), "hold_resume_due")

    assert recipients(reminded) == {cast.counselor.pk}
    assert reminded[0].subject_id == case.pk


def test_a_resumed_case_is_not_reminded_of_its_old_hold(cast):
    CaseFactory(
        desk=desk("yorozu"),
        status="active",
        lead_counselor=cast.counselor,
        resume_by=WEDNESDAY,
    )

    assert sent_on(WEDNESDAY, "hold_resume_due") == []


# --- once, and only to those who may see ----------------------------------------------------


def test_a_second_run_sends_nothing(cast, led_case):
    SessionFactory(case=led_case, follow_up_on=WEDNESDAY)

    first = reminders_run(today=WEDNESDAY)
    again = reminders_run(today=WEDNESDAY)
    next_day = reminders_run(today=WEDNESDAY + dt.timedelta(days=1))

    assert (first.sent, again.sent, next_day.sent) == (1, 0, 0)
    assert Notification.objects.filter(kind="follow_up_due").count() == 1
    assert ReminderOccasion.objects.filter(kind="follow_up_due").count() == 1


def test_a_missed_day_is_caught_up_once_within_the_window(cast, led_case, settings):
    settings.CASEBOOK_REMINDER_CATCH_UP_DAYS = 7
    SessionFactory(case=led_case, follow_up_on=WEDNESDAY)

    late = sent_on(WEDNESDAY + dt.timedelta(days=6), "follow_up_due")

    assert recipients(late) == {cast.counselor.pk}
    assert sent_on(WEDNESDAY + dt.timedelta(days=7), "follow_up_due") == []


def test_a_coordinator_who_left_the_desk_gets_no_grace_period_alert(ip_counselor, ip_coordinator):
    ip_case(ip_counselor, disclosed_on=dt.date(2025, 8, 10))
    DeskMembership.objects.filter(user=ip_coordinator).update(active=False)

    assert recipients(sent_on(dt.date(2026, 6, 11), "ip_grace_period")) == {ip_counselor.pk}


def test_a_recipient_who_cannot_see_the_case_is_left_out_at_send_time(cast, led_case):
    reminder = Reminder(
        kind="follow_up_due",
        key=f"follow_up_due:test:{led_case.pk}",
        subject=led_case,
        recipient_ids=frozenset({cast.counselor.pk, cast.colleague.pk, cast.outsider.pk}),
        due_on=WEDNESDAY,
        params={"date": WEDNESDAY.isoformat()},
    )

    assert reminder_send(reminder=reminder) == 1
    assert recipients(list(Notification.objects.all())) == {cast.counselor.pk}
    assert ReminderOccasion.objects.get(key=reminder.key).recipients == 1


def test_a_restricted_case_is_named_by_its_number_only(cast):
    case = CaseFactory(
        desk=desk("yorozu"),
        status="active",
        lead_counselor=cast.exit_team,
        confidentiality="restricted",
        on_exit_track=True,
        title="廃業の相談",
    )

    titles = case_titles(cast.exit_team, [case.pk])

    assert titles == {case.pk: case.number}
    assert case_titles(cast.counselor, [case.pk]) == {}
