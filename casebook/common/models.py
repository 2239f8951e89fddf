"""Saving helpers every service uses: acting user in history, optimistic versions."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from casebook.common.errors import StaleVersion


def save_tracked(
    obj: models.Model,
    *,
    by: Any,
    update_fields: list[str] | None = None,
    reason: str = "",
) -> None:
    """Save `obj` so that its history row names `by` (and `reason`), validating first.

    New rows are fully validated; existing rows validate and write only `update_fields`.
    """
    obj._history_user = by
    if reason:
        obj._change_reason = reason
    if obj.pk is None or update_fields is None:
        obj.full_clean()
        obj.save()
        return
    exclude = [f.name for f in obj._meta.concrete_fields if f.name not in update_fields]
    obj.full_clean(exclude=exclude, validate_constraints=False)
    if hasattr(obj, "version") and "version" not in update_fields:
        update_fields = [*update_fields, "version"]
    if any(f.name == "updated_at" for f in obj._meta.concrete_fields):
        update_fields = [*update_fields, "updated_at"]
    obj.save(update_fields=update_fields)


def check_version(obj: models.Model, expected_version: int | None) -> None:
    """Refuse an edit made against an older version; then move the version on."""
    if expected_version is not None and expected_version != obj.version:
        raise StaleVersion(expected=expected_version, current=obj.version)
    obj.version += 1


def raise_if_errors(errors: dict[str, list[ValidationError] | str]) -> None:
    if errors:
        raise ValidationError(errors)
