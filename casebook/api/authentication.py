"""`Authorization: Token <token>` (docs/security.md, finding 8). A module of its own: DRF
imports its authentication classes while its views are still loading."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


class HashedTokenAuthentication(TokenAuthentication):
    """The token's hash names a live token of an active login; an expired, revoked or
    unknown token answers 401."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        from casebook.api import selectors, services

        token = selectors.token_authenticate(key_hash=services.token_hash(key))
        if token is None:
            raise exceptions.AuthenticationFailed(_("the token is unknown, expired or revoked"))
        services.token_used(token=token)
        return token.user, token
