"""Cases on the exit track, made through the real services."""

from __future__ import annotations

from casebook.accounts.models import User
from casebook.exits import services
from casebook.exits.models import ExitPlan
from tests.factories.core import case_in_state

__all__ = ["exit_candidate", "on_exit_track"]


def exit_candidate(cast, *, title: str = "事業承継の相談", **kwargs):
    """An active yorozu case about succession, led by the cast's counselor."""
    return case_in_state(
        "active",
        lead=cast.counselor,
        by=cast.coordinator,
        title=title,
        topics=kwargs.pop("topics", ["succession", "closure"]),
        **kwargs,
    )


def on_exit_track(
    case, *, by: User, path: str = "orderly_closure", reason: str = "廃業の意向"
) -> ExitPlan:
    return services.exit_track_put_on(case=case, by=by, path=path, reason=reason)
