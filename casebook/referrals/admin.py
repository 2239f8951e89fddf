from __future__ import annotations

from django.contrib import admin

from casebook.common.admin import HistoryAdmin, PolicyScopedMixin, ReadOnlyMixin
from casebook.referrals.models import Partner, Referral
from casebook.referrals.policy import visible_referrals_q


@admin.register(Partner)
class PartnerAdmin(HistoryAdmin):
    """The partner registry is reference data: administrators keep it here."""

    list_display = ("code", "name", "kind", "municipality", "active")
    list_filter = ("kind", "active")
    search_fields = ("code", "name", "name_kana", "municipality")


@admin.register(Referral)
class ReferralAdmin(ReadOnlyMixin, PolicyScopedMixin, HistoryAdmin):
    """Read-only: referrals change only through their actions, which keep the rules."""

    scope = staticmethod(lambda user, queryset: queryset.filter(visible_referrals_q(user)))

    list_display = ("id", "kind", "from_case", "to_desk", "to_partner", "status", "due_on")
    list_filter = ("kind", "status", "to_desk", "to_partner__kind")
    search_fields = ("from_case__number", "created_case__number", "handoff_note")
    date_hierarchy = "referred_at"
