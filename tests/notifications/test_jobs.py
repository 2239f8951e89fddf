"""The scheduler (`run_jobs`): slots run once, restarts resume, every run is recorded."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client as WebClient
from django.urls import reverse

from casebook.common.extensions import ReminderSource, registry
from casebook.notifications.models import JobRun, JobState, Notification
from casebook.notifications.services import jobs_run_due
from casebook.notifications.services.jobs import daily_at, every_minutes
from tests.factories import SessionFactory
from tests.notifications.helpers import WEDNESDAY, at

pytestmark = pytest.mark.django_db


def names(runs: list[JobRun]) -> list[str]:
    return sorted(run.job for run in runs)


def test_daily_slots_fall_at_their_time_and_the_digest_on_business_days():
    seven = daily_at(dt.time(7, 0))
    digest = daily_at(dt.time(7, 30), business_days_only=True)

    assert seven(at(WEDNESDAY, 6, 59)) == at(WEDNESDAY - dt.timedelta(days=1), 7, 0)
    assert seven(at(WEDNESDAY, 7, 0)) == at(WEDNESDAY, 7, 0)
    # Monday 4 May 2026 is a holiday: the latest digest slot is Friday 1 May.
    assert digest(at(dt.date(2026, 5, 4), 9)) == at(dt.date(2026, 5, 1), 7, 30)
    assert every_minutes(1)(at(WEDNESDAY, 7, 5) + dt.timedelta(seconds=42)) == at(WEDNESDAY, 7, 5)


def test_each_job_runs_once_per_slot_and_records_the_run(cast, led_case):
    SessionFactory(case=led_case, follow_up_on=WEDNESDAY)

    first = jobs_run_due(now=at(WEDNESDAY, 8))
    again = jobs_run_due(now=at(WEDNESDAY, 8, 0) + dt.timedelta(seconds=20))

    assert names(first) == ["digest", "mail", "reminders"]
    assert again == []
    reminders = JobRun.objects.get(job="reminders")
    assert reminders.slot == at(WEDNESDAY, 7)
    assert reminders.status == "succeeded"
    assert reminders.sent == 1 and reminders.errors == 0
    assert reminders.finished_at >= reminders.started_at
    assert "follow_up_due: 1 occasion(s), 1 notification(s)" in reminders.detail


def test_the_next_days_slot_runs_again_and_sends_nothing_new(cast, led_case):
    SessionFactory(case=led_case, follow_up_on=WEDNESDAY)
    jobs_run_due(now=at(WEDNESDAY, 8), names=["reminders"])

    [run] = jobs_run_due(now=at(WEDNESDAY + dt.timedelta(days=1), 8), names=["reminders"])

    assert run.sent == 0
    assert Notification.objects.count() == 1


def test_a_run_whose_worker_died_is_marked_interrupted_and_its_slot_runs_again(cast, led_case):
    SessionFactory(case=led_case, follow_up_on=WEDNESDAY)
    # A worker took the slot at 07:00 and died: its lease (1 hour) ran out at 08:00.
    JobState.objects.create(name="reminders", lease_owner="dead:1", lease_until=at(WEDNESDAY, 8))
    orphan = JobRun.objects.create(job="reminders", slot=at(WEDNESDAY, 7), worker="dead:1")

    assert jobs_run_due(now=at(WEDNESDAY, 7, 30), names=["reminders"]) == []
    [run] = jobs_run_due(now=at(WEDNESDAY, 8, 1), names=["reminders"])

    orphan.refresh_from_db()
    assert orphan.status == "interrupted" and orphan.finished_at is not None
    assert run.status == "succeeded" and run.sent == 1


def test_a_failing_source_is_recorded_and_the_slot_retried_later(cast, led_case, monkeypatch):
    def broken(first_day: dt.date, today: dt.date):
        raise RuntimeError("the data could not be read")

    monkeypatch.setitem(
        registry.reminder_sources,
        "broken",
        ReminderSource(kind="broken", label="broken", collect=broken, text=lambda s, p: s),
    )
    SessionFactory(case=led_case, follow_up_on=WEDNESDAY)

    [failed] = jobs_run_due(now=at(WEDNESDAY, 8), names=["reminders"])
    assert jobs_run_due(now=at(WEDNESDAY, 8, 10), names=["reminders"]) == []
    monkeypatch.delitem(registry.reminder_sources, "broken")
    [retried] = jobs_run_due(now=at(WEDNESDAY, 8, 16), names=["reminders"])

    assert (failed.status, failed.errors, failed.sent) == ("failed", 1, 1)
    assert "RuntimeError: the data could not be read" in failed.detail
    assert (retried.status, retried.sent) == ("succeeded", 0)
    assert Notification.objects.count() == 1


def test_the_mail_job_sends_what_waits_every_minute(cast, led_case, mailbox_reader):
    from casebook.intake.events import publish_case_event
    from casebook.notifications import services

    services.notification_settings_update(
        user=mailbox_reader,
        deliveries={"updated": "immediately"},
        digest_enabled=True,
        by=mailbox_reader,
    )
    led_case.co_counselors.add(mailbox_reader)
    publish_case_event(led_case, "updated", notify_user_ids={mailbox_reader.pk})

    [run] = jobs_run_due(now=at(WEDNESDAY, 8), names=["mail"])

    assert run.sent == 1 and len(mail.outbox) == 1


def test_run_jobs_once_prints_each_run_and_a_summary(cast, led_case):
    out = io.StringIO()

    call_command("run_jobs", "--once", "--job", "reminders", "--force", stdout=out)
    call_command("run_jobs", "--once", "--job", "reminders", stdout=out)

    text = out.getvalue()
    assert "reminders (" in text and "0 sent, 0 error(s)" in text
    assert "1 job run(s): 0 sent, 0 error(s)" in text
    assert text.rstrip().endswith("nothing was due")


def test_run_jobs_names_an_unknown_job(db):
    with pytest.raises(CommandError, match="unknown job"):
        call_command("run_jobs", "--once", "--job", "coffee", stdout=io.StringIO())


def test_the_job_record_is_for_auditors_and_managers_only(
    cast, led_case, django_assert_max_num_queries
):
    for hour in range(8, 20):
        jobs_run_due(now=at(WEDNESDAY, hour), names=["mail"])
    auditor = WebClient()
    auditor.force_login(cast.auditor)
    counselor = WebClient()
    counselor.force_login(cast.counselor)
    url = reverse("notifications:jobs")

    with django_assert_max_num_queries(8):
        page = auditor.get(url)
    refused = counselor.get(url)

    assert page.status_code == 200
    assert len(page.context["runs"]) == 12
    assert "即時メール" in page.content.decode()
    assert refused.status_code == 403
    assert "監査担当" in refused.content.decode()


@pytest.fixture
def mailbox_reader(db):
    from casebook.accounts.models import DeskRole
    from tests.factories import member

    return member("yorozu", DeskRole.COUNSELOR, username="mailbox", email="mailbox@example.jp")


def test_the_loop_outlives_a_failed_check_and_stops_when_asked(db, monkeypatch):
    import signal

    from casebook.notifications.management.commands import run_jobs

    checks: list[int] = []
    before = signal.getsignal(signal.SIGINT)

    def flaky(self, worker, options):
        checks.append(1)
        if len(checks) == 1:
            raise RuntimeError("the database went away")
        self.stopping = True  # as SIGTERM would
        return []

    monkeypatch.setattr(run_jobs.Command, "run_due", flaky)
    # The loop closes stale connections between checks; not the test's own connection.
    monkeypatch.setattr(run_jobs, "close_old_connections", lambda: None)
    out = io.StringIO()

    call_command("run_jobs", "--interval", "1", stdout=out)

    assert len(checks) == 2
    assert out.getvalue().rstrip().endswith("run_jobs stopped")
    assert signal.getsignal(signal.SIGINT) is before
