from __future__ import annotations

from tests.api.conftest import _fresh_throttle_counters, api_as

__all__ = ["_fresh_throttle_counters", "api_as"]
