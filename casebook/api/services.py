"""Writes of the API's own data: issuing and revoking API tokens (docs/security.md, finding 8).

A token is 43 random URL-safe characters; the database holds its SHA-256 only, so a copy of
the database authenticates nobody."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from casebook.accounts.models import User
from casebook.api.models import ApiToken
from casebook.common.models import lock_row


class RevokedBecause:
    OWNER = "owner"
    PASSWORD_CHANGED = "password_changed"
    DEACTIVATED = "deactivated"


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def token_issue(*, user: User) -> tuple[ApiToken, str]:
    """A new token for `user`: the stored row and the token itself (shown once)."""
    key = secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        key_hash=token_hash(key),
        prefix=key[:8],
        created_at=now,
        expires_at=now + dt.timedelta(days=settings.CASEBOOK_API_TOKEN_DAYS),
    )
    return token, key


@transaction.atomic
def token_revoke(*, token: ApiToken, by: User) -> ApiToken:
    """Revoke one of `by`'s own tokens (the getter gave only their own); revoking twice
    changes nothing."""
    token = lock_row(ApiToken, token.pk, user=by)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_because = RevokedBecause.OWNER
        token.save(update_fields=["revoked_at", "revoked_because"])
    return token


@transaction.atomic
def tokens_revoke_all(*, user: User, because: str) -> int:
    """Revoke every live token of `user`; the number revoked."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_because=because
    )


def token_used(*, token: ApiToken) -> None:
    """Note the use of `token`, at most once a minute (a busy integration writes little; a
    use in the first minute after the issue is not noted)."""
    now = timezone.now()
    if now - (token.last_used_at or token.created_at) > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
