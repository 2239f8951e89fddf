"""The live WebSockets: a desk's board and a case page (a user's notifications:
casebook/notifications/consumers.py, built on LiveConsumer).

Events on the channel layer carry ids (events.py); a case event also carries the case's
facts that the visibility rule needs. A board socket decides each event for its own user
with the pure rule (`policy.viewer_sees_case`) and re-reads only its login — whether it is
still logged in and active, and its roles — in one batch with every other socket of the
process (`LoginChecks`), so an event costs a few queries, not a few per socket. The case page
re-reads the case for its user. Either way a socket never tells anyone about a case they may
not see, and a socket whose user logged out or was deactivated stops at the next event.

A socket that cannot be served is accepted and then closed with a code the page reads:
4401 not logged in (any more), 4404 nothing to watch here (unknown, or not theirs to see).
"""

from __future__ import annotations

import asyncio
import weakref
from abc import ABC, abstractmethod
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.http import Http404

from casebook.accounts.models import User
from casebook.accounts.selectors import desk_get_for_user
from casebook.intake import live, policy
from casebook.intake.events import board_group, case_group
from casebook.intake.presence import (
    PresenceEntry,
    PresenceStore,
    people_present,
    presence_store,
)
from casebook.intake.selectors import live as live_reads

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404


class LoginChecks:
    """Re-checks the logins of the sockets of one event loop in batches.

    An event reaches every board socket at once; each asks for its login here, and the
    asks that arrive while a batch is being read wait for the next one: one read
    (`live_reads.live_viewers`, 3 queries) answers them all, on the database thread that
    channels runs reads on, instead of one read per socket queued on that thread.
    """

    def __init__(self) -> None:
        self.waiting: dict[tuple[int, str], list[asyncio.Future]] = {}
        self.reading = False
        self.asked = 0

    async def viewer(self, user_id: int, session_key: str) -> policy.Viewer | None:
        future = asyncio.get_running_loop().create_future()
        self.waiting.setdefault((user_id, session_key), []).append(future)
        self.asked += 1
        if not self.reading:
            self.reading = True
            asyncio.get_running_loop().create_task(self._read())
        return await future

    async def _read(self) -> None:
        try:
            while self.waiting:
                # the other sockets of the event ask first: wait while asks keep coming
                asked = -1
                while asked != self.asked:
                    asked = self.asked
                    await asyncio.sleep(0)
                batch, self.waiting = self.waiting, {}
                try:
                    viewers = await database_sync_to_async(live_reads.live_viewers)(
                        logins=list(batch)
                    )
                except Exception as error:  # every waiting socket hears the failure
                    for futures in batch.values():
                        for future in futures:
                            if not future.done():
                                future.set_exception(error)
                    continue
                for login, futures in batch.items():
                    for future in futures:
                        if not future.done():
                            future.set_result(viewers.get(login))
        finally:
            self.reading = False


_login_checks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoginChecks] = (
    weakref.WeakKeyDictionary()
)


def login_checks() -> LoginChecks:
    """The batcher of the running event loop (its futures belong to that loop)."""
    loop = asyncio.get_running_loop()
    checks = _login_checks.get(loop)
    if checks is None:
        checks = _login_checks[loop] = LoginChecks()
    return checks


class LiveConsumer(AsyncJsonWebsocketConsumer, ABC):
    """Authentication, group membership and the per-event re-read of the user."""

    user_id: int | None = None
    session_key: str | None = None
    language: str = ""

    async def connect(self) -> None:
        self.joined: list[str] = []
        user = self.scope.get("user")
        session = self.scope.get("session")
        if user is None or not user.is_authenticated or session is None:
            await self.refuse(CLOSE_UNAUTHENTICATED)
            return
        self.user_id = user.pk
        self.session_key = session.session_key
        self.language = live.language_for(self.scope.get("cookies", {}))
        try:
            await self.start(user)
        except Http404:
            await self.refuse(CLOSE_NOT_FOUND)
            return
        await self.accept()
        await self.send_json({"type": "hello", "labels": live.ui_labels(self.language)})
        await self.started()

    async def dispatch(self, message: dict) -> None:
        """Every event, message and presence update. A handler that finds, on its re-read,
        that the login may no longer see what the socket watches (its desk, its office, the
        dashboard) raises `Http404`, as the getters do: the socket stops and closes with
        4404 here, the one place that says "nothing to watch here" after the socket opened."""
        try:
            await super().dispatch(message)
        except Http404:
            await self.shut(CLOSE_NOT_FOUND)

    async def refuse(self, code: int) -> None:
        # Accept first: a handshake refused outright reaches the page as a bare 1006, and the
        # page could not tell "log in again" from "the network dropped".
        await self.accept()
        await self.close(code=code)

    @abstractmethod
    async def start(self, user: User) -> None:
        """Check what the socket watches (raise Http404 to refuse) and join its groups."""

    async def started(self) -> None:
        """Runs once the socket is open."""

    async def join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.joined.append(group)

    async def leave_groups(self) -> None:
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.joined = []

    async def disconnect(self, code: int) -> None:
        await self.leave_groups()

    async def shut(self, code: int) -> None:
        """Stop serving at once (no more events), then close with `code`."""
        await self.leave_groups()
        await self.close(code=code)

    async def viewer(self) -> User | None:
        """The user as stored now; closes the socket once they logged out or were disabled."""
        user = await database_sync_to_async(live_reads.live_user)(
            user_id=self.user_id, session_key=self.session_key
        )
        if user is None:
            await self.shut(CLOSE_UNAUTHENTICATED)
        return user

    async def viewer_facts(self) -> policy.Viewer | None:
        """`viewer` for the pure rules: the login re-read now, in a batch with the other
        sockets (`LoginChecks`); closes the socket once they logged out or were disabled."""
        viewer = None
        if self.user_id is not None and self.session_key:
            viewer = await login_checks().viewer(self.user_id, self.session_key)
        if viewer is None:
            await self.shut(CLOSE_UNAUTHENTICATED)
        return viewer

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Frames that are not JSON text are ignored rather than ending the socket."""
        if not text_data:
            return
        try:
            content = await self.decode_json(text_data)
        except ValueError:
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})


class BoardConsumer(LiveConsumer):
    """`ws/board/<desk>/`: every change to a case on the desk that the user may see."""

    async def start(self, user: User) -> None:
        code = self.scope["url_route"]["kwargs"]["desk"]
        desk = await database_sync_to_async(desk_get_for_user)(user=user, code=code)
        self.desk_code, self.desk_id, self.desk_active = desk.code, desk.pk, desk.active
        # Cases the board showed when it opened: if one of them leaves the user's sight, the
        # board is told to drop it (they knew of it already, so that tells them nothing new).
        self.known = await database_sync_to_async(live_reads.board_case_ids_for_user)(
            user=user, desk=desk
        )
        await self.join(board_group(desk.code))

    async def case_event(self, event: dict) -> None:
        if "facts" not in event:  # a case gone, or an event without facts: read it
            await self.case_event_read(event)
            return
        viewer = await self.viewer_facts()
        if viewer is None:
            return
        facts = policy.CaseFacts.from_message(event["facts"])
        if facts.desk_id == self.desk_id:
            self.desk_active = facts.desk_active
        self.require_desk(viewer)
        snapshot = None
        if facts.desk_id == self.desk_id and policy.viewer_sees_case(viewer, facts):
            snapshot = live_reads.CaseSnapshot(**event["case"])
        await self.tell(event, snapshot)

    async def case_event_read(self, event: dict) -> None:
        user = await self.viewer()
        if user is None:
            return
        # 404 once the desk is no longer the user's to see (`dispatch` closes the socket).
        snapshot = await database_sync_to_async(live_reads.board_case_for_user)(
            user=user, desk_code=self.desk_code, case_id=event["case_id"]
        )
        await self.tell(event, snapshot)

    async def tell(self, event: dict, snapshot: live_reads.CaseSnapshot | None) -> None:
        case_id = event["case_id"]
        if snapshot is not None:
            if snapshot.status == "closed":
                self.known.discard(case_id)
            else:
                self.known.add(case_id)
            await self.send_json(
                {"type": "case", "kind": event["kind"], "case": snapshot.as_json()}
            )
        elif case_id in self.known:
            self.known.discard(case_id)
            await self.send_json({"type": "case_hidden", "case": {"id": case_id}})

    async def board_extra(self, event: dict) -> None:
        """A list an app adds under the board changed: the page re-reads its board (which
        renders each list for its user), so the socket says only which list."""
        viewer = await self.viewer_facts()
        if viewer is None:
            return
        self.require_desk(viewer)
        await self.send_json({"type": "extra", "key": event["key"]})

    def require_desk(self, viewer: policy.Viewer) -> None:
        """The pure rule's answer to whether the login still sees the desk (with the desk's
        state the last event told); 404 when not, which closes the socket (`dispatch`)."""
        if not policy.viewer_sees_desk(viewer, desk_id=self.desk_id, desk_active=self.desk_active):
            raise Http404("the desk is no longer this login's to see")


class CaseConsumer(LiveConsumer):
    """`ws/cases/<pk>/`: the case page's timeline refreshes and who else has the case open.

    The page sends {"type": "editing", "editing": true|false} when its form is being edited
    and {"type": "ping"} every 25 seconds; it receives {"type": "presence", "people": [...]}
    (everyone else on the case) and {"type": "case", ...} on every change of the case.
    """

    editing = False
    store: PresenceStore | None = None

    async def start(self, user: User) -> None:
        self.case_id = self.scope["url_route"]["kwargs"]["pk"]
        await database_sync_to_async(live_reads.case_snapshot_get_for_user)(
            user=user, case_id=self.case_id
        )
        self.name = live.display_name(user)
        self.store = presence_store()
        await self.join(case_group(self.case_id))

    async def started(self) -> None:
        await self.announce()

    async def announce(self) -> None:
        """Record this page in the shared store and tell every page of the case to re-read it."""
        await self.store.enter(
            self.case_id,
            self.channel_name,
            PresenceEntry(user_id=self.user_id, name=self.name, editing=self.editing),
        )
        await self.channel_layer.group_send(case_group(self.case_id), {"type": "presence.changed"})

    async def watched_case(self) -> live_reads.CaseSnapshot | None:
        """The case as its user may see it now, None once they may not (the socket is then
        closed): asked again on every message, presence update and case event, so a page left
        open after a logout, a deactivation or a lost access stops at once (docs/security.md,
        finding 9)."""
        user = await self.viewer()
        if user is None:
            return None
        snapshot = await database_sync_to_async(live_reads.case_snapshot_for_user)(
            user=user, case_id=self.case_id
        )
        if snapshot is None:
            await self.send_json({"type": "gone"})
            await self.shut(CLOSE_NOT_FOUND)
        return snapshot

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or self.store is None:
            return
        if content.get("type") == "ping":
            # The pong tells nothing about the case: it goes first, so that a slow re-check
            # never makes a live page think its socket died.
            await self.send_json({"type": "pong"})
        if content.get("type") in ("editing", "ping") and await self.watched_case() is None:
            return
        if content.get("type") == "editing":
            self.editing = bool(content.get("editing"))
            await self.announce()
        elif content.get("type") == "ping":
            await self.store.enter(
                self.case_id,
                self.channel_name,
                PresenceEntry(user_id=self.user_id, name=self.name, editing=self.editing),
            )
            await self.presence_changed({})

    async def presence_changed(self, event: dict) -> None:
        if self.store is None or await self.watched_case() is None:
            return
        entries = await self.store.present(self.case_id)
        people = people_present(entries, except_user_id=self.user_id)
        text = live.presence_text(people, self.language)
        await self.send_json({"type": "presence", "people": people, "text": text})

    async def case_event(self, event: dict) -> None:
        snapshot = await self.watched_case()
        if snapshot is None:
            return
        await self.send_json({"type": "case", "kind": event["kind"], "case": snapshot.as_json()})

    async def shut(self, code: int) -> None:
        await self.leave_groups()
        await self.leave_presence()
        await self.close(code=code)

    async def leave_presence(self) -> None:
        store = getattr(self, "store", None)
        if store is None:
            return
        self.store = None
        await store.leave(self.case_id, self.channel_name)
        await self.channel_layer.group_send(case_group(self.case_id), {"type": "presence.changed"})

    async def disconnect(self, code: int) -> None:
        await super().disconnect(code)
        await self.leave_presence()
