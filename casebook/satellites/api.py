"""`/api/v1/offices/`: the head office and the satellite offices."""

from __future__ import annotations

from typing import Any

from django_filters import rest_framework as filters
from rest_framework import serializers, viewsets
from rest_framework.routers import BaseRouter

from casebook.api.filters import AllowListOrderingFilter
from casebook.satellites.models import Office, OfficeKind


class OfficeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Office
        fields = [
            "id",
            "code",
            "name",
            "name_kana",
            "kind",
            "postal_code",
            "municipality",
            "address",
            "active_from",
            "active_until",
            "schedule_note",
        ]
        read_only_fields = fields


class OfficeFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=OfficeKind.choices)
    municipality = filters.CharFilter()

    class Meta:
        model = Office
        fields: list[str] = []


class OfficeViewSet(viewsets.ReadOnlyModelViewSet):
    """Offices are reference data, readable by every login."""

    serializer_class = OfficeSerializer
    filter_backends = [filters.DjangoFilterBackend, AllowListOrderingFilter]
    filterset_class = OfficeFilter
    ordering_fields = {"id": "id", "code": "code", "kind": "kind"}
    ordering = ["kind", "code"]

    def get_queryset(self) -> Any:
        return Office.objects.all()


def register(router: BaseRouter) -> None:
    router.register("offices", OfficeViewSet, basename="office")
