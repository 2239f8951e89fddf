"""What every admin of an object with a visibility rule shares (docs/security.md, finding 6).

The admin is one more screen: a staff user sees there only what the app's policy shows them
(`scope`), in the lists, the change pages and the history pages; the history of an object
they may not see answers 404 instead of showing its last recorded state. Only a superuser
(the system administrator) sees everything.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import ForeignKey, ManyToManyField, Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin

from casebook.common.choices import ModelChoiceField, ModelMultipleChoiceField
from casebook.common.models import save_tracked


class PlainChoicesMixin:
    """The generated forms' relations as the project's model choice fields, whose choices are
    read by one plain query rather than a server-side cursor (casebook/common/choices.py;
    docs/performance.md, "The forms' model choices read plainly"). Every admin of the project
    has it, through the bases below."""

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        kwargs.setdefault("form_class", ModelChoiceField)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(
        self, db_field: ManyToManyField, request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        kwargs.setdefault("form_class", ModelMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]


class ModelAdmin(PlainChoicesMixin, admin.ModelAdmin):
    pass


class HistoryAdmin(PlainChoicesMixin, SimpleHistoryAdmin):
    pass


class TabularInline(PlainChoicesMixin, admin.TabularInline):
    pass


class StackedInline(PlainChoicesMixin, admin.StackedInline):
    pass


class ReadOnlyMixin:
    """Mix in first: the rows are shown, never added, changed or deleted here (they change
    only through the services that keep their rules, or they are a record)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def inline(
    model: type[Model], *, stacked: bool = False, read_only: bool = False, **options: Any
) -> type[admin.options.InlineModelAdmin]:
    """The rows of `model` under their parent's change page, with no empty extra forms: a
    table (a block per row when `stacked`), shown only when `read_only`; `options` are the
    inline's other attributes."""
    bases: tuple[type, ...] = (StackedInline if stacked else TabularInline,)
    if read_only:
        bases = (ReadOnlyMixin, *bases)
    return type(f"{model.__name__}Inline", bases, {"model": model, "extra": 0, **options})


class PolicyScopedMixin:
    """Mix in before the admin class; set `scope(user, queryset) -> queryset`, a policy's
    filter (a staticmethod)."""

    @staticmethod
    def scope(user: Any, queryset: QuerySet) -> QuerySet:
        return queryset.none()

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        if request.user.is_superuser:
            return queryset
        return self.scope(request.user, queryset)

    def _require_visible(self, request: HttpRequest, object_id: str) -> None:
        if not self.get_queryset(request).filter(pk=object_id).exists():
            raise Http404("no such object")

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        self._require_visible(request, object_id)
        return super().history_view(request, object_id, extra_context)  # type: ignore[misc]

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict | None = None,
    ) -> HttpResponse:
        self._require_visible(request, object_id)
        return super().history_form_view(  # type: ignore[misc]
            request, object_id, version_id, extra_context
        )


class VersionedAdminMixin:
    """Mix in before the admin class of a model with a `version` (an optimistic lock the
    screens check, docs/satellites.md "Schedules"): an admin save is one more version, so a
    screen still showing the old one is refused as stale instead of overwriting the admin's
    edit. The version is shown, never typed."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        fields = tuple(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        return fields if "version" in fields else (*fields, "version")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            save_tracked(obj, by=request.user, reason="added in the admin")
            return
        # Count on from the stored version under a row lock (the change page is one
        # transaction), so that a save racing this one cannot reuse the same number. FOR NO
        # KEY UPDATE: a change keeps the row's id (docs/performance.md, "Row locks").
        obj.version = (
            type(obj)
            .objects.select_for_update(no_key=True)
            .values_list("version", flat=True)
            .get(pk=obj.pk)
        )
        concrete = {f.name for f in obj._meta.concrete_fields}
        changed = [name for name in form.changed_data if name in concrete]
        save_tracked(obj, by=request.user, update_fields=changed, reason="changed in the admin")
