"""A list rendered row by row with a reading plan made once for the whole list.

DRF renders every row of a list by asking each field, row after row, how to read itself
(`get_attribute` walks the source, wraps a key in a `PKOnlyObject`, catches its exceptions).
For a page of 200 cases that was 5,000 such walks and a third of the request's time
(docs/performance.md, "Rendering a page"). `RowListSerializer` asks each field once: a
column of the row's model is read straight from the row, a foreign key as its id (what
`PrimaryKeyRelatedField` renders), and every other field (a set, a dotted source, a method)
the way DRF reads it. Each value is then converted by the field's own `to_representation`,
so the JSON is the one the serializer renders for a row alone.

A serializer opts in with `Meta.list_serializer_class = RowListSerializer`; a `complete(row,
data)` method, if it has one, adds what its `to_representation` adds after the fields.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject, PrimaryKeyRelatedField, RelatedField

_SKIP = object()

Reader = Callable[[Any], Any]
Converter = Callable[[Any], Any] | None


def _read_as_drf(field: serializers.Field) -> Reader:
    def read(row: Any) -> Any:
        try:
            value = field.get_attribute(row)
        except SkipField:
            return _SKIP
        if isinstance(value, PKOnlyObject) and value.pk is None:
            return None
        return value

    return read


def _model_field(model: type[models.Model] | None, source: str) -> models.Field | None:
    if model is None:
        return None
    try:
        found = model._meta.get_field(source)
    except FieldDoesNotExist:
        return None
    return found if getattr(found, "concrete", False) else None


def reading_plan(
    child: serializers.Serializer,
) -> list[tuple[str, Reader, Converter]]:
    """For each field the child renders: its name, how to read it from a row, and how to
    convert a value that is not None (None: as read)."""
    model = getattr(getattr(child, "Meta", None), "model", None)
    plan: list[tuple[str, Reader, Converter]] = []
    for field in child._readable_fields:
        column = _model_field(model, field.source) if len(field.source_attrs) == 1 else None
        if (
            type(field) is PrimaryKeyRelatedField
            and field.pk_field is None
            and column is not None
            and column.many_to_one
        ):
            plan.append((field.field_name, attrgetter(column.attname), None))
        elif (
            column is not None
            and not column.is_relation
            and not isinstance(field, RelatedField | serializers.BaseSerializer)
            and not isinstance(field, serializers.SerializerMethodField)
        ):
            plan.append((field.field_name, attrgetter(column.attname), field.to_representation))
        else:
            plan.append((field.field_name, _read_as_drf(field), field.to_representation))
    return plan


def render_row(row: Any, plan: list[tuple[str, Reader, Converter]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, read, convert in plan:
        value = read(row)
        if value is _SKIP:
            continue
        data[name] = value if value is None or convert is None else convert(value)
    return data


class RowListSerializer(serializers.ListSerializer):
    """`many=True` of a read-only model serializer, rendered with one reading plan."""

    def to_representation(self, data: Iterable[Any]) -> list[dict[str, Any]]:
        rows = data.all() if isinstance(data, models.manager.BaseManager) else data
        plan = reading_plan(self.child)
        complete = getattr(self.child, "complete", None)
        if complete is None:
            return [render_row(row, plan) for row in rows]
        return [complete(row, render_row(row, plan)) for row in rows]
