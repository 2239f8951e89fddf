"""`manage.py run_jobs`: the one scheduler of casebook (docs/notifications.md).

Runs forever by default, waking every `--interval` seconds to run the jobs whose slot came
(reminders, the daily digest, immediate e-mail); `make run` starts it beside the web server
and production runs it as one service (or `--once` from cron every minute). Stops cleanly
on SIGINT/SIGTERM after the job in hand.
"""

from __future__ import annotations

import logging
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from casebook.notifications.models import JobRun
from casebook.notifications.services import jobs_run_due
from casebook.notifications.services.jobs import job_names, worker_name

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Run the scheduled jobs (reminders, daily digest, immediate e-mail) whose time came: "
        "in a loop, or once with --once. Each run is recorded on /notifications/jobs/."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run what is due, then exit")
        parser.add_argument(
            "--job",
            action="append",
            default=[],
            metavar="NAME",
            help="only this job (repeatable): " + ", ".join(job_names()),
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="run the named jobs now even if their slot already ran (they are idempotent)",
        )
        parser.add_argument(
            "--interval", type=int, default=30, help="seconds between checks (default 30)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        unknown = set(options["job"]) - set(job_names())
        if unknown:
            raise CommandError(
                f"unknown job(s): {', '.join(sorted(unknown))}; known: {', '.join(job_names())}"
            )
        if options["force"] and not options["job"]:
            raise CommandError("--force needs --job NAME: say which job to run again")
        interval = max(options["interval"], 1)
        worker = worker_name()
        self.stopping = False
        if options["once"]:
            runs = self.run_due(worker, options)
            self.summary(runs)
            return
        previous = {sig: signal.signal(sig, self.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.loop(worker, options, interval)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write("run_jobs stopped")

    def loop(self, worker: str, options: dict[str, Any], interval: int) -> None:
        self.stdout.write(
            f"run_jobs {worker}: checking every {interval} s for {', '.join(job_names())} "
            "(Ctrl+C stops)"
        )
        while not self.stopping:
            close_old_connections()
            try:
                self.run_due(worker, options)
            except Exception:
                # The database went away or the like: the loop lives on and tries again at
                # the next check (each job run is recorded only when it could be).
                logger.exception("run_jobs: checking the jobs failed; trying again")
            deadline = time.monotonic() + interval
            while not self.stopping and time.monotonic() < deadline:
                time.sleep(0.5)

    def stop(self, signum: int, frame: Any) -> None:
        self.stopping = True

    def run_due(self, worker: str, options: dict[str, Any]) -> list[JobRun]:
        return jobs_run_due(
            worker=worker, names=options["job"], force=options["force"], on_run=self.report
        )

    def report(self, run: JobRun) -> None:
        took = (run.finished_at - run.started_at).total_seconds() if run.finished_at else 0
        line = (
            f"{run.job} ({run.slot:%Y-%m-%d %H:%M}): {run.sent} sent, {run.errors} error(s) "
            f"in {took:.1f} s"
        )
        self.stdout.write(self.style.ERROR(line) if run.errors else line)
        for detail in filter(None, run.detail.splitlines()):
            self.stdout.write(f"  {detail}")

    def summary(self, runs: list[JobRun]) -> None:
        if not runs:
            self.stdout.write("nothing was due")
            return
        sent = sum(run.sent for run in runs)
        errors = sum(run.errors for run in runs)
        self.stdout.write(f"{len(runs)} job run(s): {sent} sent, {errors} error(s)")
