"""How the apps extend each other: one registry, filled in each app's `AppConfig.ready()`.

The case page, the desk board and the case lifecycle belong to `intake`, but what they show
or refuse also depends on the apps built around cases (referrals, dispatches, the exit track,
satellites …). Those apps register here what they contribute; `intake` asks the registry and
never imports them. See docs/architecture.md ("Extension points").

- timeline providers: `(user, case) -> iterable of TimelineEntry`, the entries of the one case
  timeline that the app owns, already filtered by its policy;
- case panels: a template plus a context function `(user, case) -> dict | None` (None hides
  the panel), drawn on the case page in `order`;
- board extras: `(user, desk) -> iterable of BoardExtra`, the lists an app adds under the desk
  board's columns (incoming referrals, late visit reports …);
- close blockers: `(case) -> message | None`, open work that keeps a case from closing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from casebook.accounts.models import Desk, User
    from casebook.intake.models import Case


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One line of the case timeline, whichever app it comes from.

    `kind` picks how the page draws it (session, assignment, transition, history, referral,
    dispatch …); `template` lets an app draw its own kinds; `obj` is the row it stands for.
    """

    kind: str
    at: dt.datetime
    by: Any = None
    obj: Any = None
    title: str = ""
    text: str = ""
    url: str = ""
    changes: tuple[Mapping[str, str], ...] = ()
    template: str = ""


@dataclass(frozen=True, slots=True)
class CasePanel:
    """A box on the case page that another app draws."""

    key: str
    template: str
    context: Callable[[User, Case], Mapping[str, Any] | None]
    order: int = 100


@dataclass(frozen=True, slots=True)
class BoardExtra:
    """A list an app adds under the desk board's columns."""

    key: str
    label: str
    items: list[Any]
    overdue: bool = False
    template: str = ""


TimelineProvider = Callable[["User", "Case"], Iterable[TimelineEntry]]
BoardExtraProvider = Callable[["User", "Desk"], Iterable[BoardExtra]]
CloseBlocker = Callable[["Case"], "str | None"]


@dataclass
class Registry:
    timeline_providers: list[TimelineProvider] = field(default_factory=list)
    case_panels: list[CasePanel] = field(default_factory=list)
    board_extra_providers: list[BoardExtraProvider] = field(default_factory=list)
    close_blockers: list[CloseBlocker] = field(default_factory=list)

    # Registering twice (a test that calls ready() again, a reloaded module) changes nothing.
    def add_timeline_provider(self, provider: TimelineProvider) -> None:
        _append_once(self.timeline_providers, provider)

    def add_case_panel(self, panel: CasePanel) -> None:
        self.case_panels[:] = [p for p in self.case_panels if p.key != panel.key]
        self.case_panels.append(panel)
        self.case_panels.sort(key=lambda p: (p.order, p.key))

    def add_board_extra_provider(self, provider: BoardExtraProvider) -> None:
        _append_once(self.board_extra_providers, provider)

    def add_close_blocker(self, blocker: CloseBlocker) -> None:
        _append_once(self.close_blockers, blocker)

    # --- what intake asks ---------------------------------------------------------------

    def timeline_entries(self, user: User, case: Case) -> list[TimelineEntry]:
        return [entry for provider in self.timeline_providers for entry in provider(user, case)]

    def panels_for(self, user: User, case: Case) -> list[tuple[CasePanel, Mapping[str, Any]]]:
        shown = []
        for panel in self.case_panels:
            context = panel.context(user, case)
            if context is not None:
                shown.append((panel, context))
        return shown

    def board_extras(self, user: User, desk: Desk) -> list[BoardExtra]:
        return [extra for provider in self.board_extra_providers for extra in provider(user, desk)]

    def close_blocker_messages(self, case: Case) -> list[str]:
        return [message for blocker in self.close_blockers if (message := blocker(case))]


def _append_once(items: list[Any], item: Any) -> None:
    if item not in items:
        items.append(item)


registry = Registry()
