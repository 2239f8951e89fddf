"""The login sessions' store (`SESSION_ENGINE`): Django's database sessions, the row read by a
statement compiled once per process.

Every request with a session cookie reads its session row before anything else. Django's store
builds that SELECT through the ORM on each request (a queryset, its lookups, its compiler): on
an API read that returns nothing, about 600 of the read's 900 Python calls, a tenth of the
request
(docs/performance.md, "The fixed cost of an API request"). The statement never changes but for
the key and the time, so the ORM compiles it once per database and it is only executed here
(`casebook.common.prepared.PreparedRead`); the row is still read on every request, so a
session ended (a logout, a password change that cycles it, an expiry) is seen by the next
request, exactly as before. Writes, expiry and cleanup are Django's own.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from casebook.common.prepared import PreparedRead

# The data of the live row of a key: Django's store's conditions, its data column only.
_live_session_data = PreparedRead(
    Session,
    lambda session_key, now: Session.objects.filter(
        session_key=session_key, expire_date__gt=now
    ).values_list("session_data"),
    args=(str, dt.datetime),
)


class SessionStore(db.SessionStore):
    def load(self) -> dict[str, Any]:
        data = self._session_data()
        if data is None:
            # As Django's store: an unknown or expired key is dropped, and a new session
            # gets a new key when it is saved.
            self._session_key = None
            return {}
        return self.decode(data)

    def _session_data(self) -> str | None:
        """The live session row's data, or None (an unknown, expired or missing key)."""
        if self.session_key is None:
            return None
        rows = _live_session_data(self.session_key, timezone.now())
        return rows[0][0] if rows else None
