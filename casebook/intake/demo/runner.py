"""Replays the demo plans in date order through the services, as of each step's moment."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.utils import timezone

from casebook.accounts.models import Desk, User
from casebook.common.models import save_tracked
from casebook.intake import services
from casebook.intake.demo.clients import ClientSpec, create_client
from casebook.intake.demo.clock import DemoClock
from casebook.intake.demo.plans import CasePlan, Step
from casebook.intake.demo.vocabulary import EXIT_TRACK_REASON
from casebook.intake.models import (
    Case,
    Client,
    ClientOutcome,
    ClosureReason,
    Confidentiality,
    OutcomeOccasion,
)
from casebook.intake.services.sessions import SESSION_TEXT_FIELDS
from casebook.satellites.models import Office

# A session is written up shortly after it ends.
WRITE_UP = dt.timedelta(minutes=5)


class Runner:
    def __init__(
        self,
        *,
        users: dict[str, User],
        desks: dict[str, Desk],
        offices: dict[str, Office],
        client_specs: list[ClientSpec],
        clients: dict[int, Client],
    ) -> None:
        self.users = users
        self.desks = desks
        self.offices = offices
        self.specs = client_specs
        self.clients = clients  # by spec index; filled as clients are registered
        self.cases: dict[int, Case] = {}  # by plan index
        self.done: Counter[str] = Counter()
        self.clock = DemoClock()

    def run(self, plans: list[CasePlan]) -> Counter[str]:
        steps = sorted(
            ((step, plan) for plan in plans for step in plan.steps),
            key=lambda pair: (pair[0].at, pair[1].index),
        )
        with self.clock.running():
            for step, plan in steps:
                moment = step.at + (
                    dt.timedelta(minutes=step.data["duration"]) + WRITE_UP
                    if step.kind == "session"
                    else dt.timedelta()
                )
                self.clock.set(moment)
                getattr(self, f"_{step.kind}")(step, plan)
                self.done[step.kind] += 1
        return self.done

    def _case(self, plan: CasePlan) -> Case:
        return self.cases[plan.index]

    def _open(self, step: Step, plan: CasePlan) -> None:
        by = self.users[step.actor]
        client = None
        if plan.client is not None:
            client = self.clients.get(plan.client)
            if client is None:
                spec = self.specs[plan.client]
                client = create_client(spec, by=by)
                self.clients[plan.client] = client
                self.done["client"] += 1
                if spec.sales_yen:
                    self._outcome(client, None, by, spec.sales_yen, spec.employees, "受付時の申告")
        lead = self.users[step.data["lead"]] if step.data.get("lead") else None
        case = services.case_open(
            desk=self.desks[plan.desk],
            client=client,
            title=plan.title,
            intake_channel=plan.channel,
            by=by,
            topics=plan.topics,
            intake_office=self.offices[plan.office] if plan.office else self.offices["hq"],
            priority=plan.priority,
            confidentiality=plan.confidentiality,
            opened_at=step.at,
            lead_counselor=lead,
        )
        self.cases[plan.index] = case

    def _assign(self, step: Step, plan: CasePlan) -> None:
        self.cases[plan.index] = services.case_assign(
            case=self._case(plan),
            counselor=self.users[step.data["counselor"]],
            by=self.users[step.actor],
        )

    def _co_counsel(self, step: Step, plan: CasePlan) -> None:
        case = Case.objects.get(pk=self._case(plan).pk)
        self.cases[plan.index] = services.case_update(
            case=case,
            by=self.users[step.actor],
            expected_version=case.version,
            co_counselors=[self.users[step.data["co"]]],
        )

    def _session(self, step: Step, plan: CasePlan) -> None:
        data = step.data
        services.session_log(
            case=self._case(plan),
            by=self.users[step.actor],
            started_at=step.at,
            duration_minutes=data["duration"],
            mode=data["mode"],
            office=self.offices[data["office"]] if data["office"] else None,
            counselors=[self.users[u] for u in data["counselors"]],
            # The timeline's step carries the session's texts under the service's names.
            **{name: data[name] for name in (*SESSION_TEXT_FIELDS, "topics", "follow_up_on")},
        )

    def _hold(self, step: Step, plan: CasePlan) -> None:
        self.cases[plan.index] = services.case_hold(
            case=self._case(plan),
            by=self.users[step.actor],
            reason=step.data["reason"],
            resume_by=step.data["resume_by"],
        )

    def _resume(self, step: Step, plan: CasePlan) -> None:
        self.cases[plan.index] = services.case_resume(
            case=self._case(plan), by=self.users[step.actor]
        )

    def _close(self, step: Step, plan: CasePlan) -> None:
        by = self.users[step.actor]
        survivor = step.data.get("survivor")
        case = services.case_close(
            case=self._case(plan),
            by=by,
            reason=step.data["reason"],
            summary=step.data["summary"],
            duplicate_of=Case.objects.get(pk=self.cases[survivor].pk) if survivor else None,
        )
        self.cases[plan.index] = case
        self.done[f"closed:{case.closure_reason}"] += 1
        spec = self.specs[plan.client] if plan.client is not None else None
        if spec and spec.sales_yen and step.data["reason"] == ClosureReason.RESOLVED:
            grown = spec.sales_yen * (100 + plan.index % 12 + 2) // 100
            self._outcome(case.client, case, by, grown, spec.employees, "終了時の申告")

    def _reopen(self, step: Step, plan: CasePlan) -> None:
        self.cases[plan.index] = services.case_reopen(
            case=self._case(plan), by=self.users[step.actor], reason=step.data["reason"]
        )

    def _exit_track(self, step: Step, plan: CasePlan) -> None:
        # The exit-track app (ExitPlan, milestones) does not exist yet. Until its service does,
        # the demo puts the case on the track the way that service will: flag it, make it
        # restricted (docs/rules.md, "Exit track") and write the change with the acting
        # coordinator in history.
        case = services.lock_case(self._case(plan))
        case.on_exit_track = True
        case.confidentiality = Confidentiality.RESTRICTED
        save_tracked(
            case,
            by=self.users[step.actor],
            update_fields=["on_exit_track", "confidentiality"],
            reason=EXIT_TRACK_REASON,
        )
        services.sessions_follow_cases(cases=[case])
        self.cases[plan.index] = case

    def _outcome(
        self,
        client: Client,
        case: Case | None,
        by: User,
        sales_yen: int,
        employees: int | None,
        note: str,
    ) -> None:
        # The demo's figures are plain tracked rows: the service that records a report from the
        # case page belongs to the reports (docs/reports.md, "Outcomes"), which intake never
        # imports. A report tied to no case was made at intake; one on a case, at its closure.
        outcome = ClientOutcome(
            client=client,
            case=case,
            occasion=OutcomeOccasion.INTAKE if case is None else OutcomeOccasion.CLOSURE,
            reported_on=timezone.localdate(),
            sales_yen=sales_yen,
            employees=employees,
            note=note,
        )
        save_tracked(outcome, by=by, reason="demo data")
        self.done["outcome"] += 1
