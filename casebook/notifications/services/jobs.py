"""The scheduled jobs and the one loop that runs them (`manage.py run_jobs`).

Each job has slots (every minute, or once a day at a set time); a slot runs once. A runner
takes a job by a conditional update of its lease in `JobState`, so two runners never run
the same job at once, and a runner that died leaves a lease that expires: the next runner
marks the dead run interrupted and runs the slot again. Every run is recorded in `JobRun`
(started, finished, sent, errors) for the admin and auditor screen. The jobs themselves are
idempotent (docs/notifications.md), so a slot run twice sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casebook.common.calendar import is_business_day
from casebook.notifications.models import JobRun, JobRunStatus, JobState
from casebook.notifications.services.mail import mail_send_digests, mail_send_immediate
from casebook.notifications.services.reminders import Outcome, reminders_run

logger = logging.getLogger(__name__)
RETRY_DELAY = dt.timedelta(minutes=15)
DETAIL_LENGTH = 10_000

Slot = Callable[[dt.datetime], dt.datetime]


@dataclass(frozen=True)
class Job:
    name: str
    label: Any
    schedule: Any
    slot: Slot
    run: Callable[[JobRun], Outcome]
    lease: dt.timedelta
    # A daily job that met errors runs its slot again after RETRY_DELAY (it is idempotent);
    # the every-minute mail job simply tries again in its next slot.
    retry_on_errors: bool = True


def every_minutes(minutes: int) -> Slot:
    def slot(now: dt.datetime) -> dt.datetime:
        local = timezone.localtime(now).replace(second=0, microsecond=0)
        return local - dt.timedelta(minutes=local.minute % minutes)

    return slot


def daily_at(at: dt.time, *, business_days_only: bool = False) -> Slot:
    """The latest `at` (local time) at or before now; on business days only if asked."""

    def slot(now: dt.datetime) -> dt.datetime:
        local = timezone.localtime(now)
        day = local.date()
        if local.time() < at:
            day -= dt.timedelta(days=1)
        while business_days_only and not is_business_day(day):
            day -= dt.timedelta(days=1)
        return timezone.make_aware(dt.datetime.combine(day, at))

    return slot


def _local_day(run: JobRun) -> dt.date:
    return timezone.localtime(run.slot).date()


def scheduled_jobs() -> list[Job]:
    """The jobs, with times read from the settings when asked (a changed setting applies)."""
    reminders_at: dt.time = settings.CASEBOOK_REMINDERS_AT
    digest_at: dt.time = settings.CASEBOOK_DIGEST_AT
    return [
        Job(
            name="reminders",
            label=_("reminders"),
            schedule=_("every day at %(time)s") % {"time": reminders_at.strftime("%H:%M")},
            slot=daily_at(reminders_at),
            run=lambda run: reminders_run(today=_local_day(run), run=run),
            lease=dt.timedelta(hours=1),
        ),
        Job(
            name="digest",
            label=_("daily digest"),
            schedule=_("business days at %(time)s") % {"time": digest_at.strftime("%H:%M")},
            slot=daily_at(digest_at, business_days_only=True),
            run=lambda run: mail_send_digests(day=_local_day(run)),
            lease=dt.timedelta(hours=1),
        ),
        Job(
            name="mail",
            label=_("e-mail sent immediately"),
            schedule=_("every minute"),
            slot=every_minutes(1),
            run=lambda run: mail_send_immediate(),
            lease=dt.timedelta(minutes=10),
            retry_on_errors=False,
        ),
    ]


def job_names() -> list[str]:
    return [job.name for job in scheduled_jobs()]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def _claim(job: Job, *, slot: dt.datetime, now: dt.datetime, worker: str, force: bool) -> bool:
    JobState.objects.get_or_create(name=job.name)
    free = JobState.objects.filter(name=job.name).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )
    if not force:
        free = free.filter(Q(last_slot__isnull=True) | Q(last_slot__lt=slot)).filter(
            Q(retry_after__isnull=True) | Q(retry_after__lte=now)
        )
    return free.update(lease_owner=worker, lease_until=now + job.lease) == 1


def _start(job: Job, *, slot: dt.datetime, worker: str) -> JobRun:
    # We hold the lease: a run still marked running lost its worker (its lease expired).
    JobRun.objects.filter(job=job.name, status=JobRunStatus.RUNNING).update(
        status=JobRunStatus.INTERRUPTED,
        finished_at=timezone.now(),
        detail="the worker stopped before the run finished",
    )
    return JobRun.objects.create(job=job.name, slot=slot, worker=worker)


def _finish(job: Job, run: JobRun, outcome: Outcome, *, now: dt.datetime, worker: str) -> None:
    run.finished_at = timezone.now()
    run.sent = outcome.sent
    run.errors = outcome.errors
    run.status = JobRunStatus.FAILED if outcome.errors else JobRunStatus.SUCCEEDED
    run.detail = "\n".join(outcome.lines)[:DETAIL_LENGTH]
    run.save(update_fields=["finished_at", "sent", "errors", "status", "detail"])
    mine = JobState.objects.filter(name=job.name, lease_owner=worker)
    if outcome.errors and job.retry_on_errors:
        mine.update(lease_owner="", lease_until=None, retry_after=now + RETRY_DELAY)
    else:
        mine.update(lease_owner="", lease_until=None, retry_after=None, last_slot=run.slot)


def jobs_run_due(
    *,
    now: dt.datetime | None = None,
    worker: str = "",
    names: Iterable[str] = (),
    force: bool = False,
    on_run: Callable[[JobRun], None] | None = None,
) -> list[JobRun]:
    """Run every job (or those `names`) whose slot came and that no one else is running.

    `force` runs the named jobs even when their slot already ran (they are idempotent).
    """
    now = now or timezone.now()
    worker = worker or worker_name()
    wanted = set(names)
    runs = []
    for job in scheduled_jobs():
        if wanted and job.name not in wanted:
            continue
        slot = job.slot(now)
        if not _claim(job, slot=slot, now=now, worker=worker, force=force):
            continue
        run = _start(job, slot=slot, worker=worker)
        try:
            outcome = job.run(run)
        except Exception as error:
            logger.exception("job %s failed", job.name)
            outcome = Outcome(errors=1, lines=[f"{type(error).__name__}: {error}"])
        _finish(job, run, outcome, now=now, worker=worker)
        runs.append(run)
        if on_run is not None:
            on_run(run)
    return runs
