"""Live events about cases, published only after the transaction that caused them commits.

An event carries ids and, for the board sockets, the case's facts that the visibility rule
needs (`policy.CaseFacts`) with what a board shows of the case, read once after the commit:
each board socket decides for its own user with `policy.viewer_sees_case` before it sends
anything, without a query of its own; the case page's socket still re-reads the case
(see consumers.py).
Events addressed to named people go to the registry's case event listeners, inside the
transaction: the inbox stores them and tells each person's socket once the change commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from casebook.common.extensions import registry

if TYPE_CHECKING:
    from casebook.intake.models import Case
    from casebook.intake.selectors.live import CaseEventRow


def send_on_commit(messages: Callable[[], Iterable[tuple[str, dict[str, Any]]]]) -> None:
    """Once the transaction commits, send each `(group, message)` that `messages` gives to the
    channel layer (none configured: nothing is sent, and `messages` is not called). It is
    called after the commit, so it may read what the change wrote.

    robust: the change is committed; a channel layer that is down must not turn it into an
    error for the user who made it (the failure is logged, and pages catch up when their
    socket reconnects)."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        batch = list(messages())

        # One event loop for all of them: each `async_to_sync` call runs a loop of its own,
        # and on Redis a loop opens its own connection (docs/performance.md, "Session create
        # and dispatch approve").
        async def send_all() -> None:
            for group, message in batch:
                await layer.group_send(group, message)

        if batch:
            async_to_sync(send_all)()

    transaction.on_commit(send, robust=True)


def board_group(desk_code: str) -> str:
    return f"board.{desk_code}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def case_group(case_id: int) -> str:
    return f"case.{case_id}"


def case_event_message(
    *, case_id: int, kind: str, desk_code: str, row: CaseEventRow | None = None
) -> dict[str, Any]:
    """The event as the sockets receive it: ids, plus the case's facts for the visibility
    rule and what a board shows, read once here rather than once per socket
    (docs/performance.md, "The board socket"). `row`: the case's own columns as the
    publishing service left them, so that only its co-counselors and shares are read."""
    from casebook.intake.selectors.live import case_event_payload

    message: dict[str, Any] = {"type": "case.event", "case_id": case_id, "kind": kind}
    message["desk"] = desk_code
    payload = case_event_payload(case_id=case_id, row=row)
    if payload is not None:
        message.update(payload)
    return message


def publish_case_event(
    case: Case, kind: str, *, notify_user_ids: set[int] | None = None, current: bool = False
) -> None:
    """Schedule `kind` about `case` for the desk board, the case page and named users.

    `current`: `case` is the row as this transaction leaves it (the service's locked and saved
    case, with its desk), so the event takes the case's columns from it instead of reading
    them again after the commit (docs/performance.md, "Session create and dispatch
    approve")."""
    from casebook.intake.selectors.live import case_event_row

    case_id, desk_code = case.pk, case.desk.code
    recipients = frozenset(notify_user_ids or ())
    if recipients:
        registry.case_event_published(case, kind, recipients)
    row = case_event_row(case) if current else None

    def messages() -> list[tuple[str, dict[str, Any]]]:
        message = case_event_message(case_id=case_id, kind=kind, desk_code=desk_code, row=row)
        return [(board_group(desk_code), message), (case_group(case_id), message)]

    send_on_commit(messages)


def publish_board_extra_event(desk_code: str, key: str) -> None:
    """Schedule "the board extra `key` changed" for the board of `desk_code` (an app that adds
    a list under the board through the registry says so; each board re-reads it per user)."""
    message = {"type": "board.extra", "key": key, "desk": desk_code}
    send_on_commit(lambda: [(board_group(desk_code), message)])
