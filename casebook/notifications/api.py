"""`/api/v1/notifications/` (newest first, `?unread=true`), `…/{id}/read/` and `…/read-all/`.

Parsing and rendering only: the selectors read (filtered by the policy, subjects re-checked
for the caller), the services write."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from casebook.api.filters import AllowListOrderingFilter
from casebook.intake.services import access_log_record
from casebook.notifications import selectors, services
from casebook.notifications.models import Notification


class NotificationSerializer(serializers.Serializer):
    """A notification as its reader may see it now: `text` and `url` of something they can no
    longer see say only that it is gone (`url` null)."""

    id = serializers.IntegerField(read_only=True)
    kind = serializers.CharField(read_only=True)
    text = serializers.CharField(read_only=True)
    url = serializers.CharField(read_only=True, allow_null=True)
    read = serializers.BooleanField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


def _unread_param(request: Request) -> bool:
    value = request.query_params.get("unread", "").strip().lower()
    if value in ("", "false", "0", "no"):
        return False
    if value in ("true", "1", "yes"):
        return True
    raise serializers.ValidationError({"unread": ["must be true or false"]})


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = NotificationSerializer
    # Newest first: (created_at, id) descending, the order of the index `inbox_newest`.
    filter_backends = [AllowListOrderingFilter]
    ordering_fields = ("created_at",)
    ordering = ["-created_at"]
    queryset = Notification.objects.none()

    def get_queryset(self) -> QuerySet[Notification]:
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        return selectors.notification_list_for_user(
            user=self.request.user, unread=_unread_param(self.request)
        )

    def _entries(self, rows: list[Notification]) -> list[dict[str, Any]]:
        user = self.request.user
        entries = selectors.inbox_entries(user=user, notifications=rows)
        access_log_record(
            user=user,
            cases=selectors.restricted_cases_shown(user=user, entries=entries),
            via="api:notifications",
            once_a_day=True,
        )
        return [entry.as_json() for entry in entries]

    @extend_schema(
        parameters=[
            OpenApiParameter("unread", bool, description="only the unread ones"),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        data = NotificationSerializer(self._entries(list(page)), many=True).data
        return self.get_paginated_response(data)

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        notification = selectors.notification_get_for_user(user=request.user, pk=pk)
        services.notification_mark_read(notification=notification, by=request.user)
        return Response(NotificationSerializer(self._entries([notification])[0]).data)

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "ReadAll", {"marked": serializers.IntegerField(), "unread": serializers.IntegerField()}
        ),
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        marked = services.notifications_mark_all_read(user=request.user)
        return Response({"marked": marked, "unread": selectors.unread_count(user=request.user)})


def register(router: BaseRouter) -> None:
    router.register("notifications", NotificationViewSet, basename="notification")
