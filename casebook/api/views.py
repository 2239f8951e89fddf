"""Base pieces for viewsets whose writes go through services."""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from typing import Any

from django.db.models import Model
from django.urls import NoReverseMatch
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response


class ServiceCreateMixin(ABC):
    """POST on the list route: parse with `create_serializer_class`, create via a service,
    answer 201 with the view's (output) serializer and a Location header.

    The view implements `perform_service_create(validated_data) -> obj`.
    """

    create_serializer_class: type | None = None

    def get_create_serializer_class(self) -> type:
        return self.create_serializer_class or self.get_serializer_class()

    @abstractmethod
    def perform_service_create(self, validated_data: dict[str, Any]) -> Model:
        """Call the service that creates the object from `validated_data`."""

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_create_serializer_class()(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        obj = self.perform_service_create(serializer.validated_data)
        headers: dict[str, str] = {}
        with contextlib.suppress(NoReverseMatch):
            headers["Location"] = self.reverse_action("detail", args=[obj.pk])
        return Response(
            self.get_serializer(obj).data, status=status.HTTP_201_CREATED, headers=headers
        )
