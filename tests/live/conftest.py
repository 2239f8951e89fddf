"""Every live test starts with empty presence and, on Redis, channel-layer keys of its own."""

from __future__ import annotations

import os
import uuid

import pytest

from casebook.intake import presence
from tests.live.sockets import ON_REDIS


@pytest.fixture(autouse=True)
def isolated_live_state(settings, monkeypatch) -> None:
    """Each test gets its own presence entries and, on Redis, its own channel-layer keys."""
    monkeypatch.setattr(presence, "_in_process", presence.InProcessPresenceStore())
    if ON_REDIS:
        run_id = uuid.uuid4().hex[:12]
        settings.CASEBOOK_PRESENCE_PREFIX = f"casebook-test:{run_id}:presence:"
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [os.environ["REDIS_URL"]], "prefix": f"casebook-test:{run_id}"},
            }
        }
