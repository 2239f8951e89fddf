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

The plan is made once per serializer class, from an instance of its own: a model serializer
builds its fields from the model on every instance (about 27 fields of a case, each with its
arguments read from the model field), which cost more than rendering a page of 50 rows
(docs/performance.md, "The lists' Python"). So a serializer that opts in declares the same
fields whoever asks, and its fields render a value from the row alone; a field that reads the
request (a method field, a hyperlink) makes its serializer's plan be made for each list, from
the list's own child.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import (
    HyperlinkedRelatedField,
    PKOnlyObject,
    PrimaryKeyRelatedField,
    RelatedField,
)

_SKIP = object()

Reader = Callable[[Any], Any]
Converter = Callable[[Any], Any] | None
Plan = list[tuple[str, Reader, Converter]]


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


def reading_plan(child: serializers.Serializer) -> Plan:
    """For each field the child renders: its name, how to read it from a row, and how to
    convert a value that is not None (None: as read)."""
    model = getattr(getattr(child, "Meta", None), "model", None)
    plan: Plan = []
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


_MAY_READ_THE_REQUEST = (
    serializers.SerializerMethodField,
    HyperlinkedRelatedField,
    serializers.BaseSerializer,  # a nested serializer: its own fields may
)


def _reads_the_request(field: serializers.Field) -> bool:
    child = getattr(field, "child_relation", None) or getattr(field, "child", None)
    return isinstance(field, _MAY_READ_THE_REQUEST) or (
        child is not None and _reads_the_request(child)
    )


@functools.cache
def _class_plan(serializer_class: type[serializers.Serializer]) -> Plan | None:
    """The plan of `serializer_class`, made from a context-free instance; None when a field
    reads the request (the plan is then made from each list's child)."""
    child = serializer_class()
    if any(_reads_the_request(field) for field in child._readable_fields):
        return None
    return reading_plan(child)


def plan_of(child: serializers.Serializer) -> Plan:
    """The reading plan of a list's child: its class's, made once, where it can be."""
    plan = _class_plan(type(child))
    return plan if plan is not None else reading_plan(child)


def render_row(row: Any, plan: Plan) -> dict[str, Any]:
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
        plan = plan_of(self.child)
        complete = getattr(self.child, "complete", None)
        if complete is None:
            return [render_row(row, plan) for row in rows]
        return [complete(row, render_row(row, plan)) for row in rows]


class RenderedList(list):
    """A set of one row as its JSON renders it (codes, ids), read by `read_sets`: a field
    that finds one renders it as it is (`intake.api.serializers.ListedManyField`)."""


@dataclass(frozen=True)
class ListedSet:
    """A set of every row of a page (a case's topics, its co-counselors), read as one values
    query of `(row id, rendered value)` pairs, kept on each row as a `RenderedList` named
    `to_attr`. Django's prefetch built a model instance per member and a queryset per lookup
    for each page, about a third of a list's Python (docs/performance.md, "The lists without
    Django's prefetch")."""

    to_attr: str
    pairs: Callable[[list[Any]], Iterable[tuple[Any, Any]]]

    def attach(self, rows: Sequence[Any], ids: list[Any]) -> None:
        members: dict[Any, RenderedList] = {pk: RenderedList() for pk in ids}
        for pk, value in self.pairs(ids):
            members[pk].append(value)
        for row in rows:
            row.__dict__[self.to_attr] = members[row.pk]


@dataclass(frozen=True)
class ListedOne:
    """A reverse one-to-one of every row of a page (a case's desk details), read by the rows'
    ids and kept in each row's cache of `relation` (None where a row has none), as a
    prefetch keeps it, without the prefetch's queryset built from the rows' instances."""

    relation: str
    rows_of: Callable[[list[Any]], Iterable[models.Model]]

    def attach(self, rows: Sequence[Any], ids: list[Any]) -> None:
        related = type(rows[0])._meta.get_field(self.relation)
        key = related.field.attname
        found = {getattr(obj, key): obj for obj in self.rows_of(ids)}
        for row in rows:
            obj = found.get(row.pk)
            related.set_cached_value(row, obj)
            if obj is not None:
                related.field.set_cached_value(obj, row)


def read_sets(rows: Sequence[Any], sets: Iterable[ListedSet | ListedOne]) -> None:
    """Each of `sets` read for all of `rows` at once (one query each, none for no row)."""
    if not rows:
        return
    ids = [row.pk for row in rows]
    for listed in sets:
        listed.attach(rows, ids)
