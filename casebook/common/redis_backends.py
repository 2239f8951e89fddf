"""Redis as casebook uses it: the channel layer of the live pages and the shared cache of
short-lived state (one-time form tokens, the booking and token-exchange limits).

Redis may go away (a restart, a full disk, the network): pages and the API keep working and
only the live updates wait for it (docs/architecture.md, "When a service goes away"). The
cache then keeps its entries in each worker's memory until Redis answers again, and a
connection gives up after a second instead of holding a request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("casebook.redis")

# How long a connection may take before Redis counts as away (seconds): a stopped or
# unreachable Redis is noticed at once.
CONNECT_TIMEOUT = 1.0
# How long a cache reply may take. A busy machine can delay a reply past a second; counting
# that as "away" would answer from memory, which does not know a form token Redis holds, and
# a form sent twice would be saved twice.
CACHE_REPLY_TIMEOUT = 5.0
# Once away, Redis is asked again after this long; meanwhile each call goes to memory at once.
RETRY_AFTER = 5.0
REDIS_AWAY = (RedisConnectionError, RedisTimeoutError)


def redis_settings(url: str) -> dict[str, dict[str, Any]]:
    """CHANNEL_LAYERS and CACHES on the Redis at `url` (settings.py and the fault tests)."""
    return {
        "CHANNEL_LAYERS": {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {
                    "hosts": [
                        {
                            "address": url,
                            # No reply timeout: the layer waits on blocking pops for up
                            # to its own brpop timeout, which a shorter socket timeout
                            # would cut into errors.
                            "socket_connect_timeout": CONNECT_TIMEOUT,
                        }
                    ]
                },
            }
        },
        "CACHES": {
            "default": {
                "BACKEND": "casebook.common.redis_backends.ResilientRedisCache",
                "LOCATION": url,
                "KEY_PREFIX": "casebook",
                "OPTIONS": {
                    "socket_connect_timeout": CONNECT_TIMEOUT,
                    "socket_timeout": CACHE_REPLY_TIMEOUT,
                },
            }
        },
    }


def _through_call(name: str) -> Callable[..., Any]:
    """The cache method `name`, asked of Redis while it answers, of the memory while it is away."""

    def method(self: ResilientRedisCache, *args: Any, **kwargs: Any) -> Any:
        return self._call(name, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    return method


class ResilientRedisCache(RedisCache):
    """Django's Redis cache that answers from this worker's memory while Redis is away.

    What it holds is short-lived and only ever a guard (a form sent twice, too many booking
    attempts): counted per worker for a while beats refusing every request with a 500.
    """

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._memory = LocMemCache(
            f"casebook-redis-fallback-{id(self)}",
            {"TIMEOUT": params.get("TIMEOUT", 300), "KEY_PREFIX": params.get("KEY_PREFIX", "")},
        )
        self._away_until = 0.0

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if time.monotonic() >= self._away_until:
            try:
                return getattr(super(), name)(*args, **kwargs)
            except REDIS_AWAY as error:
                self._away_until = time.monotonic() + RETRY_AFTER
                logger.warning("Redis is away (%s): the cache answers from memory", error)
        return getattr(self._memory, name)(*args, **kwargs)

    # Every call that reaches Redis goes through `_call`.
    add = _through_call("add")
    get = _through_call("get")
    set = _through_call("set")
    touch = _through_call("touch")
    delete = _through_call("delete")
    get_many = _through_call("get_many")
    has_key = _through_call("has_key")
    incr = _through_call("incr")
    set_many = _through_call("set_many")
    delete_many = _through_call("delete_many")
    clear = _through_call("clear")
