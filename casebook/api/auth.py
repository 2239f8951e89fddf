"""`POST /api/v1/auth/token/ {username, password} -> {token}` for integrations."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions
from rest_framework.authtoken.models import Token
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from casebook.api.serializers import TokenRequestSerializer, TokenResponseSerializer


class TokenRateThrottle(AnonRateThrottle):
    """Password guessing is slowed per client address."""

    scope = "token"
    THROTTLE_RATES = {"token": "30/min"}


class TokenView(APIView):
    """Exchange a username and password for the user's API token (created on first use)."""

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
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
