"""Reads of the API's own data: a login's API tokens, which only their owner sees."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from casebook.accounts.models import User
from casebook.api.models import ApiToken
from casebook.common.prepared import PreparedRead


def token_list_for_user(*, user: User) -> QuerySet[ApiToken]:
    """`user`'s own tokens, newest first (served by the index on user and issue time)."""
    return ApiToken.objects.filter(user_id=user.pk).order_by("-created_at", "-pk")


def token_get_for_user(*, user: User, pk: Any) -> ApiToken:
    """One of `user`'s own tokens, else 404."""
    try:
        return token_list_for_user(user=user).get(pk=pk)
    except (ApiToken.DoesNotExist, ValueError, TypeError):
        raise Http404("no such token") from None


# The live token of a hash, its login joined (not revoked, not expired, the login active).
_live_token = PreparedRead(
    ApiToken,
    lambda key_hash, now: ApiToken.objects.select_related("user").filter(
        key_hash=key_hash, revoked_at__isnull=True, expires_at__gt=now, user__is_active=True
    ),
    args=(str, dt.datetime),
)


def token_authenticate(*, key_hash: str) -> ApiToken | None:
    """The live token with this hash (not revoked, not expired, its login active), its user
    attached, or None.

    Every token request starts here, so the statement is compiled once per process rather
    than built through the ORM each time (about 2,200 Python calls, a third of an empty API
    read: docs/performance.md, "The fixed cost of an API request"). It is still executed on
    every request: a revoked token, an expired one or a deactivated login is refused by the
    next request."""
    tokens = _live_token(key_hash, timezone.now())
    return tokens[0] if tokens else None
