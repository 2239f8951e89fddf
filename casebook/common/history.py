"""History rows that also record an object's many-to-many sets (docs/architecture.md, "History").

django-simple-history keeps many-to-many history (`m2m_fields`) in tables of their own and
writes a history row for every `.set()`: one edit of a case's title, topics and co-counselors
wrote three rows, and each row copied both sets again. Reading them back cost two queries
per set per pair of rows, so the case page grew with every edit.

`HistoricalRecordsWithSets(sets=["topics", "co_counselors"])` keeps each named set in the
history row itself, as a JSON list of the related keys (the historical model gains a field of
the same name). Together with `save_tracked(..., sets=...)` a service call that edits fields
and sets writes exactly one history row, and a reader gets a whole history in one query.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import models
from django.db.models.signals import m2m_changed
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

_RECORDERS: dict[type[models.Model], HistoricalRecordsWithSets] = {}


class HistoricalRecordsWithSets(HistoricalRecords):
    """`HistoricalRecords` whose rows also hold the named many-to-many `sets` (see above)."""

    def __init__(self, *args: Any, sets: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sets = tuple(sets)

    def get_extra_fields(self, model: type[models.Model], fields: dict) -> dict:
        extra = super().get_extra_fields(model, fields)
        for name in self.sets:
            extra[name] = models.JSONField(default=list, blank=True)
        return extra

    def finalize(self, sender: type[models.Model], **kwargs: Any) -> None:
        already = hasattr(sender._meta, "simple_history_manager_attribute")
        super().finalize(sender, **kwargs)
        if self.cls is not sender or already:
            return
        _RECORDERS[sender] = self
        history_model = getattr(sender, self.manager_name).model
        pre_create_historical_record.connect(self._record_sets, sender=history_model, weak=False)
        # A set changed outside a service (the admin's form) still leaves a history row.
        for name in self.sets:
            through = sender._meta.get_field(name).remote_field.through
            m2m_changed.connect(self._set_changed, sender=through, weak=False)

    def _record_sets(
        self, sender: Any, instance: models.Model, history_instance: Any, **_: Any
    ) -> None:
        for name in self.sets:
            setattr(history_instance, name, set_keys(instance, name))

    def _set_changed(
        self, sender: Any, instance: Any, action: str, reverse: bool, **_: Any
    ) -> None:
        # Changed from the other side (a topic's cases) it is no edit of one case: no row.
        if reverse or not isinstance(instance, self.cls):
            return
        if hasattr(instance, "skip_history_when_saving"):
            return
        if action in ("post_add", "post_remove", "post_clear"):
            self.create_historical_record(instance, "~")


def set_keys(instance: models.Model, name: str) -> list[Any]:
    """The keys of the set `name` of `instance`, sorted; from memory when they were loaded."""
    if instance.pk is None:
        return []
    cache = getattr(instance, "_prefetched_objects_cache", {})
    if name in cache:
        return sorted(obj.pk for obj in cache[name])
    return sorted(getattr(instance, name).values_list("pk", flat=True))


def _loaded_set(instance: models.Model, name: str) -> list[models.Model] | None:
    """The members of the set `name` of `instance` when they were loaded, in their order."""
    loaded = getattr(instance, "_prefetched_objects_cache", {}).get(name)
    return None if loaded is None else list(loaded)


def write_history_row(instance: models.Model, *, created: bool) -> None:
    """One history row for `instance` as it stands now, its sets included."""
    _RECORDERS[type(instance)].create_historical_record(instance, "+" if created else "~")


def records_sets(model: type[models.Model]) -> bool:
    return model in _RECORDERS


def replace_set(
    instance: models.Model, name: str, objects: Iterable[models.Model], *, was_empty: bool = False
) -> bool:
    """Make the set `name` of `instance` exactly `objects`; True when it changed.

    Reads the current set from memory when it was loaded (a service's lock read loads it;
    `was_empty` says so of a row just inserted),
    deletes what went, adds what came (their links written in `objects`' order), and leaves
    the new set loaded, so neither the history row nor the answer to the request reads it
    again: in `objects`' order, or for a set its model gives no order and that was loaded,
    in its links' order.
    """
    manager = getattr(instance, name)
    wanted = list(dict.fromkeys(objects))
    loaded_before = None if was_empty else _loaded_set(instance, name)
    current = set() if was_empty else set(set_keys(instance, name))
    removed = current - {obj.pk for obj in wanted}
    added = [obj for obj in wanted if obj.pk not in current]
    if removed:
        manager.remove(*removed)
    if added:
        through = manager.through
        through.objects.bulk_create(
            through(**{manager.source_field_name: instance, manager.target_field_name: obj})
            for obj in added
        )
    if loaded_before is not None and not manager.model._meta.ordering:
        # A set its model gives no order is listed in the order its links were written
        # (`casebook.common.models.link_order`, as the services load it): those kept, in the
        # order they were loaded, then those added.
        by_pk = {obj.pk: obj for obj in wanted}
        kept = [by_pk[obj.pk] for obj in loaded_before if obj.pk in by_pk]
        wanted = kept + added
    loaded_sets = getattr(instance, "_prefetched_objects_cache", {})
    loaded_sets.pop(name, None)
    loaded = getattr(instance, name).get_queryset()
    # What a prefetch leaves behind: the rows, and any further filter asks the database.
    loaded._result_cache = wanted
    loaded._prefetch_done = True
    instance._prefetched_objects_cache = {**loaded_sets, name: loaded}
    return bool(removed or added)
