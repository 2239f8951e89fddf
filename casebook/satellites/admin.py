from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from casebook.common.admin import HistoryAdmin, VersionedAdminMixin
from casebook.satellites.models import Booking, ConsultationDay, DayException, Office, ScheduleRule


@admin.register(Office)
class OfficeAdmin(VersionedAdminMixin, HistoryAdmin):
    list_display = ("code", "name", "kind", "municipality", "slot_minutes", "active_from")
    list_filter = ("kind",)
    search_fields = ("name", "name_kana", "municipality")


# Rules and exceptions are where administrators set the schedules; `generate_satellite_days`
# then creates the days (docs/satellites.md, "Schedules").
@admin.register(ScheduleRule)
class ScheduleRuleAdmin(VersionedAdminMixin, HistoryAdmin):
    list_display = ("office", "weekdays", "weeks", "starts_at", "ends_at", "counselor")
    list_filter = ("office",)
    list_select_related = ("office", "counselor")
    raw_id_fields = ("counselor",)


@admin.register(DayException)
class DayExceptionAdmin(VersionedAdminMixin, HistoryAdmin):
    list_display = ("office", "date", "kind", "starts_at", "ends_at", "counselor", "reason")
    list_filter = ("kind", "office")
    list_select_related = ("office", "counselor")
    raw_id_fields = ("counselor",)
    date_hierarchy = "date"


@admin.register(ConsultationDay)
class ConsultationDayAdmin(HistoryAdmin):
    list_display = ("office", "date", "starts_at", "ends_at", "counselor", "status")
    list_filter = ("status", "office")
    list_select_related = ("office", "counselor")
    raw_id_fields = ("counselor", "rule")
    date_hierarchy = "date"


@admin.register(Booking)
class BookingAdmin(HistoryAdmin):
    """Bookings are read here; they change through the satellite screens and the API."""

    list_display = ("slot", "company_name", "status", "channel", "created_at")
    list_filter = ("status", "channel")
    list_select_related = ("slot__office",)
    search_fields = ("company_name", "contact_name")
    readonly_fields = [f.name for f in Booking._meta.fields if f.name != "id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
