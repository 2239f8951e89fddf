"""`/api/v1/desks/` and `/api/v1/me/`."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter
from rest_framework.views import APIView

from casebook.accounts.models import Desk, OrgRole, User
from casebook.api.filters import AllowListOrderingFilter


class DeskSerializer(serializers.ModelSerializer):
    class Meta:
        model = Desk
        fields = ["code", "name", "name_en", "default_confidentiality", "active"]
        read_only_fields = fields


class MembershipSerializer(serializers.Serializer):
    desk = serializers.CharField()
    role = serializers.CharField()


class MeSerializer(serializers.ModelSerializer):
    memberships = serializers.SerializerMethodField()
    org_role = serializers.ChoiceField(choices=OrgRole.choices, allow_blank=True, read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "display_name_kana", "org_role", "memberships"]
        read_only_fields = fields

    @extend_schema_field(MembershipSerializer(many=True))
    def get_memberships(self, user: User) -> list[dict[str, str]]:
        rows = user.memberships.filter(active=True, desk__active=True).order_by(
            "desk__sort_order", "role"
        )
        return [
            {"desk": desk, "role": role} for desk, role in rows.values_list("desk__code", "role")
        ]


class DeskViewSet(viewsets.ReadOnlyModelViewSet):
    """The help desks (reference data, readable by every login)."""

    serializer_class = DeskSerializer
    lookup_field = "code"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    filter_backends = [AllowListOrderingFilter]
    ordering_fields = {"code": "code", "order": "sort_order"}
    ordering = ["sort_order", "code"]

    def get_queryset(self) -> Any:
        return Desk.objects.all()


class MeView(APIView):
    """Who is calling: the login, its organisation role and its desk memberships."""

    @extend_schema(responses={200: MeSerializer}, tags=["me"])
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)


def register(router: BaseRouter) -> None:
    router.register("desks", DeskViewSet, basename="desk")


urlpatterns = [path("me/", MeView.as_view(), name="api-me")]
