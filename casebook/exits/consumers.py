"""`ws/exits/`: the exit team's dashboard, live (docs/exits.md, "Screens").

Only the dashboard's readers (the exit team, managers: `policy.works_the_track`) may open it;
on every event the consumer reads the user again and asks the policy whether they still read
the dashboard (else it closes with 4404) and still see the plan (else it says nothing). What
it sends is the plan's id and the kind of change; the page then re-reads its body, which the
server renders for that user.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from django.http import Http404

from casebook.accounts.models import User
from casebook.exits import policy, selectors
from casebook.exits.events import DASHBOARD_GROUP
from casebook.intake.consumers import LiveConsumer


class ExitDashboardConsumer(LiveConsumer):
    async def start(self, user: User) -> None:
        if not await database_sync_to_async(policy.works_the_track)(user):
            raise Http404("no dashboard for this login")
        await self.join(DASHBOARD_GROUP)

    async def exit_event(self, event: dict) -> None:
        user = await self.viewer()
        if user is None:
            return
        if not await database_sync_to_async(policy.works_the_track)(user):
            # `LiveConsumer.dispatch` closes the socket with 4404.
            raise Http404("no dashboard for this login")
        plan_id = event["plan_id"]
        seen = await database_sync_to_async(selectors.plan_seen_by)(user=user, plan_id=plan_id)
        if seen:
            await self.send_json({"type": "plan", "kind": event["kind"], "plan": {"id": plan_id}})
