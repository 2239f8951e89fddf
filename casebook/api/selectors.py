"""Reads of the API's own data: a login's API tokens, which only their owner sees."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from casebook.accounts.models import User
from casebook.api.models import ApiToken


def token_list_for_user(*, user: User) -> QuerySet[ApiToken]:
    """`user`'s own tokens, newest first (served by the index on user and issue time)."""
    return ApiToken.objects.filter(user_id=user.pk).order_by("-created_at", "-pk")


def token_get_for_user(*, user: User, pk: Any) -> ApiToken:
    """One of `user`'s own tokens, else 404."""
    try:
        return token_list_for_user(user=user).get(pk=pk)
    except (ApiToken.DoesNotExist, ValueError, TypeError):
        raise Http404("no such token") from None


def token_authenticate(*, key_hash: str) -> ApiToken | None:
    """The live token with this hash (not revoked, not expired, its login active), or None."""
    return (
        ApiToken.objects.select_related("user")
        .filter(
            key_hash=key_hash,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            user__is_active=True,
        )
        .first()
    )
