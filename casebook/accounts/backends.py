"""The login backend: Django's `ModelBackend`, the session's user row read by a statement
compiled once per process.

Every request with a session cookie reads its login's row (`get_user`); Django's backend
builds and compiles `User.objects.get(pk=…)` each time, about 1,000 Python calls, a fifth of
an API read that returns nothing (docs/performance.md, "Statements compiled once"). The row
is still read on every request, so a deactivated login or a changed password (the session's
hash) is refused by the next request, as before.

A session names the backend that logged it in. Sessions made before this backend name
Django's `ModelBackend`, which stays listed after this one in `AUTHENTICATION_BACKENDS` so
they stay valid until they expire: no one is logged out by the change.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest

from casebook.accounts.models import User
from casebook.common.prepared import PreparedRead

_user_by_id = PreparedRead(User, lambda user_id: User._default_manager.filter(pk=user_id))


class UserBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and password is not None and (username or kwargs):
            # Credentials this backend refused end the attempt here: Django's `ModelBackend`,
            # listed next for the older sessions, would otherwise check the same password a
            # second time (twice the hashing for each failed login).
            raise PermissionDenied
        return user

    def get_user(self, user_id: Any) -> User | None:
        try:
            # A value of the key's type, as the ORM would send it (the session's is already).
            user_id = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        if user_id is None:
            # The ORM would ask `IS NULL` rather than pass it: no login has no key.
            return None
        rows = _user_by_id(user_id)
        user = rows[0] if rows else None
        return user if user is not None and self.user_can_authenticate(user) else None
