"""Saving helpers every service uses (one history row naming the acting user, versions), and
the field helpers the models share."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection, models
from django.db.models.expressions import OrderBy, RawSQL

from casebook.common.errors import StaleVersion
from casebook.common.history import records_sets, replace_set, write_history_row

# django-simple-history's change reason column holds 100 characters.
REASON_LENGTH = 100


def optional_fk(
    to: type[models.Model] | str,
    *,
    on_delete: Any = models.PROTECT,
    related_name: str,
    verbose_name: Any = None,
    **options: Any,
) -> models.ForeignKey:
    """A foreign key that may stay empty: NULL in the table, not required in forms.

    `on_delete` defaults to PROTECT, as on every required key; a key that should empty itself
    when its target goes says SET_NULL (or CASCADE) explicitly."""
    return models.ForeignKey(
        to,
        on_delete=on_delete,
        null=True,
        blank=True,
        related_name=related_name,
        verbose_name=verbose_name,
        **options,
    )


def link_order(relation: Any) -> OrderBy:
    """The order in which the links of a many-to-many `relation` (e.g. `Case.co_counselors`)
    were written (the link's id), for a query of the relation's members: a related manager's
    or a prefetch's, which join the link table once, under its own name. Without it the
    members come in whatever order the plan reads them, which may change from one plan to
    the next."""
    table = connection.ops.quote_name(relation.through._meta.db_table)
    return RawSQL(f"{table}.{connection.ops.quote_name('id')}", ()).asc()


def in_link_order(lookup: str, relation: Any) -> models.Prefetch:
    """A prefetch of `lookup` (a path ending in `relation`) whose members come in the order
    their links were written (`link_order`)."""
    members = relation.field.related_model._default_manager.order_by(link_order(relation))
    return models.Prefetch(lookup, queryset=members)


def save_tracked(
    obj: models.Model,
    *,
    by: Any,
    update_fields: list[str] | None = None,
    reason: str = "",
    sets: Mapping[str, Iterable[models.Model]] | None = None,
    constraints_checked: bool = False,
) -> None:
    """Save `obj` (and replace the many-to-many `sets` named) with ONE history row naming `by`
    and `reason`.

    New rows are fully validated; existing rows validate and write only `update_fields`, and
    a model with a `version` gets the next version: every save of a versioned row is a new
    version, so an ETag or a form that names the old one is refused (see `ensure_version`).
    `sets` ({"topics": [...]}) need a model whose history records its sets
    (`casebook.common.history.HistoricalRecordsWithSets`). `constraints_checked` says the
    service checked the model's check constraints itself, a field error each, so they are not
    asked of the database again (Django asks each one in a query of its own, within a
    savepoint).
    """
    obj._history_user = by
    if reason:
        obj._change_reason = reason[:REASON_LENGTH]
    created = obj.pk is None
    if created or update_fields is None:
        full_clean_loaded(obj, validate_constraints=not constraints_checked)
        save_kwargs: dict[str, Any] = {}
    else:
        exclude = {f.name for f in obj._meta.concrete_fields if f.name not in update_fields}
        obj.full_clean(exclude=exclude | loaded_relations(obj), validate_constraints=False)
        names = set(update_fields)
        if any(f.name == "updated_at" for f in obj._meta.concrete_fields):
            names.add("updated_at")
        if hasattr(obj, "version"):
            names.add("version")
        save_kwargs = {"update_fields": sorted(names)}
    if not created and hasattr(obj, "version"):
        obj.version += 1
    if not sets:
        obj.save(**save_kwargs)
        return
    if not records_sets(type(obj)):
        raise TypeError(f"{type(obj).__name__}'s history does not record sets")
    # The save and each set would write a row of their own: write the one row at the end.
    obj.skip_history_when_saving = True
    try:
        obj.save(**save_kwargs)
        for name, objects in sets.items():
            replace_set(obj, name, objects, was_empty=created)
    finally:
        del obj.skip_history_when_saving
    write_history_row(obj, created=created)


def delete_tracked(obj: models.Model, *, by: Any, reason: str) -> None:
    """Delete `obj`; its last history row (the deletion) names `by` and `reason`."""
    obj._history_user = by
    obj._change_reason = reason[:REASON_LENGTH]
    obj.delete()


def loaded_relations(obj: models.Model) -> set[str]:
    """The foreign keys of `obj` whose object is in memory and saved, and is the one the key
    names (a service's locked case, the acting user)."""
    loaded = set()
    for field in obj._meta.concrete_fields:
        if not field.many_to_one or field.remote_field.limit_choices_to:
            continue
        target = field.get_cached_value(obj) if field.is_cached(obj) else None
        saved = target is not None and target.pk is not None
        if saved and target.pk == getattr(obj, field.attname):
            loaded.add(field.name)
    return loaded


def full_clean_loaded(obj: models.Model, *, validate_constraints: bool = True) -> None:
    """`obj.full_clean()`, except that a foreign key whose object is in memory and saved (the
    locked case, the acting user) is not looked up again: Django's check asks the database
    whether that row exists, one query per key, when the service has just read it and the
    key's own constraint still guards the insert. Its other checks run as `full_clean` runs
    them, unique and constraint checks included."""
    errors: dict[str, Any] = {}

    def run(check: Callable[..., None], **kwargs: Any) -> None:
        nonlocal errors
        try:
            check(**kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)

    def failed() -> set[str]:
        return {name for name in errors if name != NON_FIELD_ERRORS}

    run(obj.clean_fields, exclude=loaded_relations(obj))
    run(obj.clean)
    # As `full_clean`: the unique and constraint checks only for the fields that passed.
    run(obj.validate_unique, exclude=failed())
    if validate_constraints:
        run(obj.validate_constraints, exclude=failed())
    if errors:
        raise ValidationError(errors)


def ensure_version(obj: models.Model, expected_version: int | None) -> None:
    """Refuse a change made against an older version than the stored one (StaleVersion).

    `None` checks nothing (a caller that read no version). The next save moves it on.
    """
    if expected_version is not None and expected_version != obj.version:
        raise StaleVersion(expected=expected_version, current=obj.version)


def lock_row[M: models.Model](model: type[M], pk: Any, **filters: Any) -> M:
    """The row of `model` with that id (and `filters`), re-read under `FOR NO KEY UPDATE`:
    the row lock of a service that changes the row but neither deletes it nor changes its
    id. Two lockers of the row still wait for each other, but a transaction that writes a
    row pointing at it (its foreign key checked with `FOR KEY SHARE`) is not held back
    (docs/performance.md, "Row locks: FOR NO KEY UPDATE"). A service that deletes the row
    it locks takes `FOR UPDATE` instead (`lock_current(..., deleting=True)`)."""
    return model._default_manager.select_for_update(no_key=True).get(pk=pk, **filters)


def lock_current[M: models.Model](
    obj: M, expected_version: int | None, *, deleting: bool = False
) -> M:
    """`obj` re-read under a lock of its row, refused (StaleVersion) unless it is still the
    version the caller read: the lock-then-check step of a service (docs/architecture.md,
    "Services"). `deleting`: the caller deletes the row, so the lock is `FOR UPDATE`, the
    lock the DELETE takes anyway (taken at once rather than raised from `FOR NO KEY UPDATE`
    while a writer of a row pointing at it may hold `FOR KEY SHARE`)."""
    if deleting:
        locked = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
    else:
        locked = lock_row(type(obj), obj.pk)
    ensure_version(locked, expected_version)
    return locked


def raise_if_errors(errors: dict[str, list[ValidationError] | str]) -> None:
    if errors:
        raise ValidationError(errors)
