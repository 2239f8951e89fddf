"""A settable clock for seeding the past through the real services.

The services stamp what they do with `django.utils.timezone.now()`: assignments, closures,
transitions, `auto_now` fields and the dates of history rows. To replay twelve months of
work, the demo runs each service call as of the moment it happened, so a case's timeline
reads in order and the services' own date rules (no session in the future, none more than
a year back, no hold resuming in the past) are checked against that moment. Every moment
the demo uses is also in the real past.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone


class DemoClock:
    def __init__(self) -> None:
        self._real_now = timezone.now
        self.moment: dt.datetime | None = None

    def now(self) -> dt.datetime:
        return self.moment if self.moment is not None else self._real_now()

    def set(self, moment: dt.datetime) -> None:
        if timezone.is_naive(moment):
            raise ValueError("the demo clock needs an aware datetime")
        if moment > self._real_now():
            raise ValueError(f"the demo clock cannot run ahead of real time: {moment}")
        self.moment = moment

    @contextmanager
    def running(self) -> Iterator[DemoClock]:
        """Within the block, `timezone.now()` (and so `localdate()`) answers this clock."""
        original = timezone.now
        timezone.now = self.now
        try:
            yield self
        finally:
            timezone.now = original
            self.moment = None
