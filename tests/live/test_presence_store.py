"""The presence store: one interface, kept in this process or shared through Redis."""

from __future__ import annotations

import os
import uuid

import pytest

from casebook.intake import presence
from casebook.intake.presence import (
    PRESENCE_TTL,
    InProcessPresenceStore,
    PresenceEntry,
    RedisPresenceStore,
    people_present,
)
from tests.live.sockets import needs_redis, run


def in_process() -> InProcessPresenceStore:
    return InProcessPresenceStore()


def in_redis() -> RedisPresenceStore:
    return RedisPresenceStore(
        os.environ["REDIS_URL"], prefix=f"casebook-test:{uuid.uuid4().hex}:presence:"
    )


STORES = [
    pytest.param(in_process, id="in-process"),
    pytest.param(in_redis, id="redis", marks=needs_redis),
]


@pytest.mark.parametrize("make_store", STORES)
def test_a_store_keeps_each_connection_until_it_leaves(make_store):
    store = make_store()

    async def scenario() -> None:
        await store.enter(7, "conn-a", PresenceEntry(user_id=1, name="佐藤"))
        await store.enter(7, "conn-b", PresenceEntry(user_id=2, name="鈴木"))
        await store.enter(8, "conn-c", PresenceEntry(user_id=3, name="高橋"))
        assert sorted(e.user_id for e in await store.present(7)) == [1, 2]
        await store.enter(7, "conn-b", PresenceEntry(user_id=2, name="鈴木", editing=True))
        assert {e.user_id: e.editing for e in await store.present(7)} == {1: False, 2: True}
        await store.leave(7, "conn-a")
        assert [e.user_id for e in await store.present(7)] == [2]
        assert [e.user_id for e in await store.present(8)] == [3]
        await store.leave(7, "conn-b")
        await store.leave(8, "conn-c")
        assert await store.present(7) == []

    run(scenario)


@pytest.mark.parametrize("make_store", STORES)
def test_a_store_forgets_a_connection_that_stopped_confirming_itself(make_store, monkeypatch):
    store = make_store()
    clock = [1_000_000.0]
    monkeypatch.setattr(presence.time, "time", lambda: clock[0])

    async def scenario() -> None:
        await store.enter(9, "dead-worker", PresenceEntry(user_id=1, name="佐藤"))
        clock[0] += PRESENCE_TTL / 2
        await store.enter(9, "alive", PresenceEntry(user_id=2, name="鈴木"))
        clock[0] += PRESENCE_TTL / 2 + 1
        assert [e.user_id for e in await store.present(9)] == [2]
        clock[0] += PRESENCE_TTL / 2
        await store.enter(9, "alive", PresenceEntry(user_id=2, name="鈴木"))
        assert [e.user_id for e in await store.present(9)] == [2]
        await store.leave(9, "alive")

    run(scenario)


@needs_redis
def test_two_workers_on_redis_see_the_same_people():
    first, second = in_redis(), in_redis()
    second.prefix = first.prefix

    async def scenario() -> None:
        await first.enter(5, "worker-1.conn", PresenceEntry(user_id=1, name="佐藤"))
        await second.enter(5, "worker-2.conn", PresenceEntry(user_id=2, name="鈴木"))
        assert sorted(e.user_id for e in await first.present(5)) == [1, 2]
        assert sorted(e.user_id for e in await second.present(5)) == [1, 2]
        await first.leave(5, "worker-1.conn")
        await second.leave(5, "worker-2.conn")

    run(scenario)


def test_people_present_lists_everyone_else_once_editing_if_any_of_their_pages_edits():
    entries = [
        PresenceEntry(user_id=1, name="佐藤", editing=False),
        PresenceEntry(user_id=2, name="鈴木", editing=False),
        PresenceEntry(user_id=2, name="鈴木", editing=True),
        PresenceEntry(user_id=3, name="高橋", editing=True),
    ]
    assert people_present(entries, except_user_id=3) == [
        {"id": 1, "name": "佐藤", "editing": False},
        {"id": 2, "name": "鈴木", "editing": True},
    ]


def test_the_store_is_redis_when_redis_is_configured_and_this_process_otherwise(settings):
    settings.REDIS_URL = ""
    assert isinstance(presence.presence_store(), InProcessPresenceStore)
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    assert isinstance(presence.presence_store(), RedisPresenceStore)
