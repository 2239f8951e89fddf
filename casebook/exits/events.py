"""Live events of the exit track, for the team's dashboard (`ws/exits/`), published only after
the transaction that caused them commits. An event carries the plan's id and what happened,
never plan data: the dashboard's consumer re-checks each receiver through `exits.policy`
before it says anything (consumers.py), as the desk board does (docs/architecture.md)."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

DASHBOARD_GROUP = "exits.dashboard"


def publish_plan_event(plan_id: int, kind: str) -> None:
    """Schedule `kind` about the plan `plan_id` for every open dashboard."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        message = {"type": "exit.event", "plan_id": plan_id, "kind": kind}
        async_to_sync(layer.group_send)(DASHBOARD_GROUP, message)

    # robust: the change is committed; a channel layer that is down must not turn it into an
    # error for the user who made it (the dashboards catch up when their socket reconnects).
    transaction.on_commit(send, robust=True)
