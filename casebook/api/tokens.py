"""`/api/v1/tokens/`: the caller's own API tokens, listed, and `{id}/revoke/`."""

from __future__ import annotations

from typing import Any

from rest_framework.routers import BaseRouter

from casebook.api import selectors, services
from casebook.api.models import ApiToken
from casebook.api.serializers import ApiTokenSerializer
from casebook.api.viewsets import ReadViewSet, transition


class ApiTokenViewSet(ReadViewSet):
    """The caller's API tokens, newest first (the tokens themselves are never shown again)."""

    model = ApiToken
    serializer_class = ApiTokenSerializer
    ordering = ["-created_at", "-pk"]
    ordering_fields = ("created_at",)
    list_selector = staticmethod(selectors.token_list_for_user)
    get_selector = staticmethod(selectors.token_get_for_user)

    @transition(None, ApiTokenSerializer)
    def revoke(self, token: ApiToken, data: dict[str, Any], expected_version: int | None):
        """Revoke one of your tokens: it authenticates nobody from now on."""
        return services.token_revoke(token=token, by=self.request.user)


def register(router: BaseRouter) -> None:
    router.register("tokens", ApiTokenViewSet, basename="token")
