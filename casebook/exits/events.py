"""Live events of the exit track, for the team's dashboard (`ws/exits/`), published only after
the transaction that caused them commits. An event carries the plan's id and what happened,
never plan data: the dashboard's consumer re-checks each receiver through `exits.policy`
before it says anything (consumers.py), as the desk board does (docs/architecture.md)."""

from __future__ import annotations

from casebook.intake.events import send_on_commit

DASHBOARD_GROUP = "exits.dashboard"


def publish_plan_event(plan_id: int, kind: str) -> None:
    """Schedule `kind` about the plan `plan_id` for every open dashboard."""

    message = {"type": "exit.event", "plan_id": plan_id, "kind": kind}
    # The dashboards catch up when their socket reconnects.
    send_on_commit(lambda: [(DASHBOARD_GROUP, message)])
