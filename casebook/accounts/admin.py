from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from simple_history.admin import SimpleHistoryAdmin

from casebook.accounts.models import Desk, DeskMembership, User
from casebook.common.admin import inline


@admin.register(User)
class CasebookUserAdmin(UserAdmin, SimpleHistoryAdmin):
    list_display = ("username", "display_name", "org_role", "is_active", "is_staff")
    list_filter = ("org_role", "is_active", "memberships__desk", "memberships__role")
    search_fields = ("username", "display_name", "display_name_kana", "email")
    fieldsets = (
        *UserAdmin.fieldsets,
        ("casebook", {"fields": ("display_name", "display_name_kana", "org_role")}),
    )
    inlines = [inline(DeskMembership)]


@admin.register(Desk)
class DeskAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "default_confidentiality", "active", "sort_order")
    list_editable = ("active", "sort_order")


@admin.register(DeskMembership)
class DeskMembershipAdmin(SimpleHistoryAdmin):
    list_display = ("user", "desk", "role", "active")
    list_filter = ("desk", "role", "active")
    search_fields = ("user__username", "user__display_name")
