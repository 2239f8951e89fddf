from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db.models import QuerySet

from casebook.accounts.models import Desk, DeskMembership, SecurityEvent, User
from casebook.accounts.policy import reads_audit_trail
from casebook.common.admin import (
    HistoryAdmin,
    ModelAdmin,
    PlainChoicesMixin,
    PolicyScopedMixin,
    ReadOnlyMixin,
    inline,
)

# Django's group admin, with the project's model choice fields (casebook/common/admin.py).
admin.site.unregister(Group)


@admin.register(Group)
class CasebookGroupAdmin(PlainChoicesMixin, GroupAdmin):
    pass


@admin.register(User)
class CasebookUserAdmin(UserAdmin, HistoryAdmin):
    list_display = ("username", "display_name", "org_role", "is_active", "is_staff")
    list_filter = ("org_role", "is_active", "memberships__desk", "memberships__role")
    search_fields = ("username", "display_name", "display_name_kana", "email")
    fieldsets = (
        *UserAdmin.fieldsets,
        ("casebook", {"fields": ("display_name", "display_name_kana", "org_role")}),
    )
    inlines = [inline(DeskMembership)]


@admin.register(Desk)
class DeskAdmin(HistoryAdmin):
    list_display = ("code", "name", "default_confidentiality", "active", "sort_order")
    list_editable = ("active", "sort_order")


@admin.register(DeskMembership)
class DeskMembershipAdmin(HistoryAdmin):
    list_display = ("user", "desk", "role", "active")
    list_filter = ("desk", "role", "active")
    search_fields = ("user__username", "user__display_name")


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyMixin, PolicyScopedMixin, ModelAdmin):
    list_display = ("at", "kind", "username", "user", "address", "via")
    list_filter = ("kind", "via")
    search_fields = ("username",)

    @staticmethod
    def scope(user: Any, queryset: QuerySet) -> QuerySet:
        return queryset if reads_audit_trail(user) else queryset.none()
