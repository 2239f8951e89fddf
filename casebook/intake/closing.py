"""What keeps a case from closing, contributed by the apps that own the open work.

The dispatch and referral apps register a check here from their AppConfig.ready(), so the
case lifecycle does not import them and each rule stays with the data it reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from casebook.intake.models import Case

CloseBlocker = Callable[["Case"], str | None]
_blockers: list[CloseBlocker] = []


def register_close_blocker(blocker: CloseBlocker) -> None:
    if blocker not in _blockers:
        _blockers.append(blocker)


def close_blockers(case: Case) -> list[str]:
    """Messages naming each piece of open work that must end before `case` can close."""
    return [message for blocker in _blockers if (message := blocker(case))]
