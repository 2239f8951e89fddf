"""The login sessions' store (`SESSION_ENGINE`): Django's database sessions, the row read by a
statement written once per process.

Every request with a session cookie reads its session row before anything else. Django's store
builds that SELECT through the ORM on each request (a queryset, its lookups, its compiler): on
an API read that returns nothing, about 600 of the read's 900 Python calls, a tenth of the
request
(docs/performance.md, "The fixed cost of an API request"). The statement never changes, so it
is written once per database vendor and only executed here; the row is still read on every
request, so a session ended (a logout, a password change that cycles it, an expiry) is seen by
the next request, exactly as before. Writes, expiry and cleanup are Django's own.
"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


@functools.cache
def _session_data_sql(alias: str, model: Any) -> str:
    """`SELECT session_data … WHERE session_key = %s AND expire_date > %s`, quoted for the
    database `alias` (the statement Django's store sends, without building it each time)."""
    quote = connections[alias].ops.quote_name
    opts = model._meta
    table = quote(opts.db_table)
    data, key, expires = (
        quote(opts.get_field(name).column)
        for name in ("session_data", "session_key", "expire_date")
    )
    return f"SELECT {data} FROM {table} WHERE {key} = %s AND {expires} > %s"


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
        alias = router.db_for_read(self.model)
        connection = connections[alias]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(_session_data_sql(alias, self.model), [self.session_key, now])
            row = cursor.fetchone()
        return None if row is None else row[0]
