"""What the reports add to the other apps, registered in `ReportsConfig.ready()`
(docs/architecture.md, "Extension points"): the case page's outcomes panel (what the client
reported, and the offer to record a report), and the session and case counts kept by the
database (`tallies`, `case_tallies`), paused for a bulk write."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from casebook.common.extensions import CasePanel, KeptCopy
from casebook.reports import case_tallies, policy, selectors, tallies

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

    from casebook.accounts.models import User
    from casebook.common.extensions import Registry
    from casebook.intake.models import Case

PANEL_ROWS = 20


def outcome_panel(user: User, case: Case) -> dict[str, Any] | None:
    """The latest reports of the case's client recorded on it, for whoever sees the case
    (the case page checked that); hidden on a case with nothing recorded and nothing to
    offer. One query for the reports."""
    actions = policy.outcome_actions(user, case)
    outcomes = selectors.case_outcomes(case_id=case.pk, limit=PANEL_ROWS)
    if not outcomes and not actions:
        return None
    return {"outcomes": outcomes, "outcome_actions": actions}


def _tallies_paused(connection: BaseDatabaseWrapper) -> None:
    if connection.vendor == "postgresql":
        tallies.pause(connection)


def _tallies_caught_up(connection: BaseDatabaseWrapper) -> None:
    if connection.vendor == "postgresql":
        tallies.catch_up(connection)
        case_tallies.rebuild(connection)


def register(registry: Registry) -> None:
    registry.add_case_panel(
        CasePanel("outcomes", "reports/_outcome_panel.html", outcome_panel, order=40)
    )
    registry.add_kept_copy(KeptCopy("report tallies", _tallies_paused, _tallies_caught_up))
