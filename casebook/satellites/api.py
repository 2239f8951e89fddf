"""`/api/v1/offices/` (with their schedule rules), `/api/v1/slots/` and `/api/v1/bookings/`
(with `check-in`, `no-show` and `cancel`), on the base viewsets of `casebook.api.viewsets`:
reads through the selectors, one service per write, every answer rendered from the object
the service returned."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Model, QuerySet
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.routers import BaseRouter

from casebook.api.filters import MAX_ID, AllowListOrderingFilter, QueryStringFilterBackend
from casebook.api.references import resolve
from casebook.api.viewsets import ReadViewSet, ServiceCreateMixin, transition
from casebook.intake import selectors as case_selectors
from casebook.intake.selectors.clients import client_get_for_user
from casebook.satellites import selectors, services
from casebook.satellites.models import Booking, Office, OfficeKind, ScheduleRule, Slot


def _id(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


# --- offices ---------------------------------------------------------------------------------


class ScheduleRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScheduleRule
        fields = [
            "id",
            "weekdays",
            "weeks",
            "starts_at",
            "ends_at",
            "counselor",
            "valid_from",
            "valid_until",
        ]
        read_only_fields = fields


class OfficeSerializer(serializers.ModelSerializer):
    rules = ScheduleRuleSerializer(source="schedule_rules", many=True, read_only=True)

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
            "slot_minutes",
            "rules",
        ]
        read_only_fields = fields


class OfficeFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=OfficeKind.choices)
    municipality = filters.CharFilter()

    class Meta:
        model = Office
        fields: list[str] = []


class OfficeViewSet(viewsets.ReadOnlyModelViewSet):
    """Offices are reference data, readable by every login; each with its schedule rules."""

    serializer_class = OfficeSerializer
    filter_backends = [QueryStringFilterBackend, AllowListOrderingFilter]
    filterset_class = OfficeFilter
    ordering_fields = ("id", "code", "kind")
    ordering = ["kind", "code"]

    def get_queryset(self) -> Any:
        return Office.objects.prefetch_related("schedule_rules")


# --- slots -----------------------------------------------------------------------------------


class SlotSerializer(serializers.ModelSerializer):
    free = serializers.SerializerMethodField()

    class Meta:
        model = Slot
        fields = ["id", "office", "starts_at", "ends_at", "counselor", "free"]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_free(self, slot: Slot) -> bool:
        return not slot.taken


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class DateRangeFilter(filters.FilterSet):
    """`date_from` and `date_to` (inclusive, local dates) on the field `starts_field`."""

    starts_field = "starts_at"
    date_from = filters.DateFilter(method="filter_date_from")
    date_to = filters.DateFilter(method="filter_date_to")

    def filter_date_from(self, queryset: QuerySet, name: str, value: dt.date) -> QuerySet:
        return queryset.filter(**{f"{self.starts_field}__gte": _day_start(value)})

    def filter_date_to(self, queryset: QuerySet, name: str, value: dt.date) -> QuerySet:
        end = _day_start(value + dt.timedelta(days=1))
        return queryset.filter(**{f"{self.starts_field}__lt": end})


class SlotFilter(DateRangeFilter):
    office = filters.NumberFilter(field_name="office_id")
    free = filters.BooleanFilter(method="filter_free")

    class Meta:
        model = Slot
        fields: list[str] = []

    def filter_free(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        return queryset if value is None else queryset.filter(taken=not value)


class SlotViewSet(ReadViewSet):
    """Bookable slots of the consultation days that are held (staff only)."""

    model = Slot
    serializer_class = SlotSerializer
    filterset_class = SlotFilter
    ordering_fields = ("id", "starts_at")
    ordering = ["starts_at"]
    list_selector = staticmethod(selectors.slot_list_for_user)
    get_selector = staticmethod(selectors.slot_get_for_user)


# --- bookings --------------------------------------------------------------------------------


class BookingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Booking
        fields = ["id", "slot", "client", "case", "status", "version"]
        read_only_fields = fields


class NewClientSerializer(serializers.Serializer):
    kind = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=200)
    name_kana = serializers.CharField(max_length=200, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)


class BookingCreateSerializer(serializers.Serializer):
    slot = _id()
    client = _id(required=False, allow_null=True)
    new_client = NewClientSerializer(required=False, allow_null=True)
    case = _id(required=False, allow_null=True)
    topic = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    contact_name = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    allow_duplicate = serializers.BooleanField(required=False, default=False)


class CheckInSerializer(serializers.Serializer):
    client = _id(required=False, allow_null=True)
    new_client = NewClientSerializer(required=False, allow_null=True)
    case = _id(required=False, allow_null=True)
    summary = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class BookingFilter(DateRangeFilter):
    starts_field = "slot__starts_at"
    office = filters.NumberFilter(field_name="slot__office_id")
    status = filters.CharFilter()

    class Meta:
        model = Booking
        fields: list[str] = []


class BookingViewSet(ServiceCreateMixin, ReadViewSet):
    """Bookings of satellite slots. POST books a slot for a client (`client`, or `new_client`
    registered as at intake; `Idempotency-Key` replays the first answer); the actions take
    an optional `If-Match` (412 when stale)."""

    model = Booking
    serializer_class = BookingSerializer
    create_serializer_class = BookingCreateSerializer
    filterset_class = BookingFilter
    ordering_fields = ("id", "created_at")
    ordering = ["-id"]
    list_selector = staticmethod(selectors.booking_list_for_user)
    get_selector = staticmethod(selectors.booking_get_for_user)

    def _references(self, data: dict[str, Any]) -> dict[str, Any]:
        user = self.request.user
        return {
            "client": resolve("client", client_get_for_user, user=user, pk=data.get("client")),
            "new_client": data.get("new_client") or None,
            "case": resolve(
                "case", case_selectors.case_get_for_user, user=user, pk=data.get("case")
            ),
        }

    def create_with_service(self, data: dict[str, Any]) -> Model:
        user = self.request.user
        slot = resolve("slot", selectors.slot_get_for_user, user=user, pk=data["slot"])
        return services.booking_create(
            by=user,
            slot=slot,
            topic=data["topic"],
            contact_name=data["contact_name"],
            allow_duplicate=data["allow_duplicate"],
            **self._references(data),
        )

    @transition(CheckInSerializer, BookingSerializer, url_path="check-in")
    def check_in(self, booking: Booking, data: dict[str, Any], expected_version: int | None):
        """The client came: a session at the satellite on the linked or a new case."""
        return services.booking_check_in(
            booking=booking,
            by=self.request.user,
            expected_version=expected_version,
            summary=data["summary"],
            **self._references(data),
        )

    @transition(None, BookingSerializer, url_path="no-show")
    def no_show(self, booking: Booking, data: dict[str, Any], expected_version: int | None):
        """The client did not come (once the slot has begun)."""
        return services.booking_no_show(
            booking=booking, by=self.request.user, expected_version=expected_version
        )

    @transition(CancelSerializer, BookingSerializer)
    def cancel(self, booking: Booking, data: dict[str, Any], expected_version: int | None):
        """Cancel a booking; the slot is free again."""
        return services.booking_cancel(
            booking=booking,
            by=self.request.user,
            expected_version=expected_version,
            reason=data["reason"],
        )


def register(router: BaseRouter) -> None:
    router.register("offices", OfficeViewSet, basename="office")
    router.register("slots", SlotViewSet, basename="slot")
    router.register("bookings", BookingViewSet, basename="booking")
