"""The security tests use the API client and the dispatch setting of their apps' tests."""

from __future__ import annotations

from tests.api.conftest import _fresh_throttle_counters, api_as
from tests.experts.conftest import requested, setting

__all__ = ["_fresh_throttle_counters", "api_as", "requested", "setting"]
