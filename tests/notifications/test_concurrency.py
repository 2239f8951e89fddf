"""Once means once with real parallel runners (PostgreSQL: row locks and unique keys)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from casebook.accounts.models import DeskRole, User
from casebook.intake.events import publish_case_event
from casebook.notifications import services
from casebook.notifications.models import DigestDelivery, JobRun, Notification, ReminderOccasion
from casebook.notifications.services import mail as mail_module
from tests.concurrency import while_held
from tests.factories import CaseFactory, SessionFactory, desk, member
from tests.markers import needs_postgres
from tests.notifications.helpers import WEDNESDAY, at
from tests.referrals.test_concurrency import run_together

pytestmark = [needs_postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_parallel_reminder_runs_send_each_occasion_once(cast):
    for _ in range(5):
        case = CaseFactory(desk=desk("yorozu"), status="active", lead_counselor=cast.counselor)
        SessionFactory(case=case, follow_up_on=WEDNESDAY)

    results, errors = run_together(
        [lambda: services.reminders_run(today=WEDNESDAY) for _ in range(4)]
    )

    assert errors == []
    assert sum(outcome.sent for outcome in results) == 5
    assert sum(outcome.errors for outcome in results) == 0
    assert ReminderOccasion.objects.count() == 5
    assert Notification.objects.filter(kind="follow_up_due").count() == 5


def test_parallel_schedulers_run_a_slot_once(cast):
    case = CaseFactory(desk=desk("yorozu"), status="active", lead_counselor=cast.counselor)
    SessionFactory(case=case, follow_up_on=WEDNESDAY)

    results, errors = run_together(
        [
            lambda n=n: services.jobs_run_due(
                now=at(WEDNESDAY, 8), names=["reminders"], worker=f"worker-{n}"
            )
            for n in range(4)
        ]
    )

    assert errors == []
    assert sum(len(runs) for runs in results) == 1
    assert JobRun.objects.filter(job="reminders").count() == 1
    assert Notification.objects.count() == 1


def test_parallel_digests_of_one_user_mail_once(cast):
    reader = member("yorozu", DeskRole.COUNSELOR, username="reader", email="reader@example.jp")
    case = CaseFactory(desk=desk("yorozu"), status="active", lead_counselor=reader)
    for _ in range(3):
        publish_case_event(case, "updated", notify_user_ids={reader.pk})

    results, errors = run_together(
        [lambda: services.digest_send(user=reader, day=WEDNESDAY) for _ in range(3)]
    )

    assert errors == []
    assert sorted(results) == [0, 0, 1]
    assert len(mail.outbox) == 1
    assert DigestDelivery.objects.filter(user=reader, day=WEDNESDAY).count() == 1
    assert Notification.objects.filter(mail_state="sent").count() == 3


def test_a_mail_being_sent_leaves_its_recipients_login_free_for_other_writes(monkeypatch):
    reader = member("yorozu", DeskRole.COUNSELOR, username="reader", email="reader@example.jp")
    services.notification_settings_update(
        user=reader, deliveries={"updated": "immediately"}, digest_enabled=True, by=reader
    )
    case = CaseFactory(desk=desk("yorozu"), status="active", lead_counselor=reader)
    publish_case_event(case, "updated", notify_user_ids={reader.pk})
    logged_in_at = timezone.now()

    held_errors, other_errors = while_held(
        monkeypatch,
        mail_module,
        "_message",
        hold=services.mail_send_immediate,
        then=lambda: User.objects.filter(pk=reader.pk).update(last_login=logged_in_at),
    )

    assert held_errors == [] and other_errors == []
    assert len(mail.outbox) == 1
    assert User.objects.get(pk=reader.pk).last_login == logged_in_at
    assert Notification.objects.get().mail_state == "sent"
