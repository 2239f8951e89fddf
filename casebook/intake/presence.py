"""Who has a case page open, and who is editing it (the case page's presence line).

Each open case page holds one WebSocket; its consumer records one entry per connection
here. With several ASGI workers every worker must see every entry, so with REDIS_URL set
the entries live in Redis (one hash per case); without it, in this process. Both stores
have the same small async interface.

An entry whose connection died without saying goodbye (a killed worker) is not kept
forever: every entry carries the time it was last confirmed, the page confirms it with a
heartbeat, and entries older than PRESENCE_TTL are ignored and pruned.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Protocol

from django.conf import settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

# A page sends a heartbeat every 25 seconds (a background tab may be throttled to one a
# minute); an entry not confirmed for this long is stale.
PRESENCE_TTL = 90.0


@dataclass(frozen=True)
class PresenceEntry:
    """One open case page: whose, and whether its form is being edited."""

    user_id: int
    name: str
    editing: bool = False
    seen: float = 0.0


class PresenceStore(Protocol):
    async def enter(self, case_id: int, connection: str, entry: PresenceEntry) -> None:
        """Record (or refresh) the entry of one connection."""

    async def leave(self, case_id: int, connection: str) -> None:
        """Forget one connection."""

    async def present(self, case_id: int) -> list[PresenceEntry]:
        """Every live entry of the case, stale ones dropped."""


def _fresh(entry: PresenceEntry, now: float) -> bool:
    return now - entry.seen <= PRESENCE_TTL


class InProcessPresenceStore:
    """Entries in a dictionary of this process: right for one worker (the embedded default)."""

    def __init__(self) -> None:
        self._cases: dict[int, dict[str, PresenceEntry]] = {}
        self._lock = threading.Lock()

    async def enter(self, case_id: int, connection: str, entry: PresenceEntry) -> None:
        stamped = PresenceEntry(entry.user_id, entry.name, entry.editing, time.time())
        with self._lock:
            self._cases.setdefault(case_id, {})[connection] = stamped

    async def leave(self, case_id: int, connection: str) -> None:
        with self._lock:
            entries = self._cases.get(case_id, {})
            entries.pop(connection, None)
            if not entries:
                self._cases.pop(case_id, None)

    async def present(self, case_id: int) -> list[PresenceEntry]:
        now = time.time()
        with self._lock:
            entries = self._cases.get(case_id, {})
            for connection in [c for c, e in entries.items() if not _fresh(e, now)]:
                del entries[connection]
            return list(entries.values())


class RedisPresenceStore:
    """Entries in one Redis hash per case, shared by every worker.

    The hash expires a while after its last write, so a case nobody looks at leaves nothing
    behind even if every worker died.
    """

    def __init__(self, url: str, *, prefix: str = "casebook:presence:") -> None:
        self.url = url
        self.prefix = prefix

    def _key(self, case_id: int) -> str:
        return f"{self.prefix}{case_id}"

    def _client(self) -> Redis:
        from redis.asyncio import Redis

        # One short connection per call: a Redis client is bound to the event loop that made
        # it, and presence changes are rare (join, leave, a heartbeat, the editing flag).
        return Redis.from_url(self.url)

    async def enter(self, case_id: int, connection: str, entry: PresenceEntry) -> None:
        stamped = PresenceEntry(entry.user_id, entry.name, entry.editing, time.time())
        key = self._key(case_id)
        async with self._client() as redis, redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, connection, json.dumps(asdict(stamped)))
            pipe.expire(key, int(PRESENCE_TTL * 2))
            await pipe.execute()

    async def leave(self, case_id: int, connection: str) -> None:
        async with self._client() as redis:
            await redis.hdel(self._key(case_id), connection)

    async def present(self, case_id: int) -> list[PresenceEntry]:
        key = self._key(case_id)
        now = time.time()
        async with self._client() as redis:
            raw = await redis.hgetall(key)
            entries, stale = [], []
            for connection, value in raw.items():
                entry = PresenceEntry(**json.loads(value))
                if _fresh(entry, now):
                    entries.append(entry)
                else:
                    stale.append(connection)
            if stale:
                await redis.hdel(key, *stale)
        return entries


_in_process = InProcessPresenceStore()


def presence_store() -> PresenceStore:
    """Redis when REDIS_URL is set (several workers agree), this process otherwise."""
    url = getattr(settings, "REDIS_URL", "")
    if url:
        return RedisPresenceStore(
            url, prefix=getattr(settings, "CASEBOOK_PRESENCE_PREFIX", "casebook:presence:")
        )
    return _in_process


def people_present(entries: list[PresenceEntry], *, except_user_id: int) -> list[dict]:
    """One line per person other than `except_user_id`, editing if any of their pages edits."""
    people: dict[int, dict] = {}
    for entry in sorted(entries, key=lambda e: (e.name, e.user_id)):
        if entry.user_id == except_user_id:
            continue
        person = people.setdefault(
            entry.user_id, {"id": entry.user_id, "name": entry.name, "editing": False}
        )
        person["editing"] = person["editing"] or entry.editing
    return list(people.values())
