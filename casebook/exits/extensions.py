"""What the exit track adds to the case page (its panel) and the case timeline (the track
decisions, the milestones done), registered in `ExitsConfig.ready()`
(docs/architecture.md, "Extension points")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casebook.common.extensions import CasePanel, TimelineEntry
from casebook.exits import policy, selectors
from casebook.intake.history import history_kind

if TYPE_CHECKING:
    from casebook.accounts.models import User
    from casebook.common.extensions import Registry
    from casebook.intake.models import Case


def exit_panel(user: User, case: Case) -> dict[str, Any] | None:
    """The plan and its milestones for those who work it; the offer to put the case on the
    track for those who may. A case never on the track costs no query."""
    offered = policy.offered_on_case(user, case)
    plan = selectors.plan_for_case(user=user, case=case) if case.on_exit_track else None
    if plan is None and not offered:
        return None
    return {"plan": plan, "exit_actions": offered}


def exit_timeline(user: User, case: Case) -> list[TimelineEntry]:
    """The track decisions and the milestones done, for those who see the plan (only while
    the case is on the track: a case off it shows its decisions on the plan's page)."""
    if not case.on_exit_track:
        return []
    plan = selectors.plan_for_case(user=user, case=case)
    if plan is None:
        return []
    url = reverse("exits:plan", args=[plan.pk])
    entries = [
        TimelineEntry(
            kind="exit_track_on" if decision.on_track else "exit_track_off",
            at=decision.at,
            by=decision.by,
            obj=decision,
            title=_("Put on the exit track")
            if decision.on_track
            else _("Taken off the exit track"),
            text=decision.reason,
            url=url,
        )
        for decision in selectors.decisions_for_case(user=user, case=case)
    ]
    entries += [
        TimelineEntry(
            kind="exit_milestone_done",
            at=milestone.updated_at,
            by=milestone.owner,
            obj=milestone,
            title=_("Exit milestone done: %s") % milestone.name,
            text=milestone.note,
            url=url,
        )
        for milestone in plan.milestones.all()
        if milestone.completed_on is not None
    ]
    entries.sort(key=lambda entry: (entry.at, entry.kind))
    return entries


def register(registry: Registry) -> None:
    registry.add_case_extensions(
        history=history_kind(
            "exit_plans", gettext_lazy("exit plan"), selectors.plan_get_for_user, lambda p: p.case
        ),
        panel=CasePanel("exit", "exits/_case_panel.html", exit_panel, order=5),
        timeline=exit_timeline,
    )
