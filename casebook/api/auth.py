"""`POST /api/v1/auth/token/ {username, password} -> {token, expires_at}` for integrations
(docs/security.md, findings 5 and 8); casebook/api/authentication.py accepts the tokens."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from casebook.accounts.models import SecurityEventKind
from casebook.accounts.services import security_event_record
from casebook.api import services
from casebook.api.serializers import TokenRequestSerializer, TokenResponseSerializer


class TokenRateThrottle(AnonRateThrottle):
    """Requests are slowed per client address (only trusted proxies' X-Forwarded-For entries
    count, REST_FRAMEWORK["NUM_PROXIES"]); guessing one login's password is stopped per user
    name by django-axes (casebook/accounts/lockout.py)."""

    scope = "token"
    THROTTLE_RATES = {"token": "30/min"}


class TokenView(APIView):
    """Exchange a username and password for a new API token, shown this once."""

    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [TokenRateThrottle]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenResponseSerializer},
        auth=[],
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise exceptions.ValidationError(
                {
                    "non_field_errors": [
                        exceptions.ErrorDetail(
                            _("the username or the password is wrong"), code="invalid_credentials"
                        )
                    ]
                }
            )
        token, key = services.token_issue(user=user)
        security_event_record(
            kind=SecurityEventKind.TOKEN_ISSUED, request=request._request, user=user
        )
        return Response({"token": key, "expires_at": token.expires_at})
