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

The plan also says where each field is in a row read as values (`values_rows`: a dict of
the columns the plan names, its sets attached by `read_sets`), so a list whose fields are all
columns, a related row's slug, a column through a foreign key that is never null, an
annotation or a set can read its page without a model instance per row: building a case
(27 fields, `from_db`) was the largest item of a page of 200 after the prefetch went
(docs/performance.md, "The lists' rows as values"). The converters are the same either way.

A values row holds each column as the database gives it (a text column a `str`, an integer
column an `int`, a timestamp an aware `datetime`), so the values plan converts a value by the
field's class where that class's `to_representation` is known for the column's type
(`_value_converter`): nothing where it returns the value as it is (a text, a number, a flag,
a choice among its own codes), `date.isoformat` for a date, the request's time zone and
DRF's ISO 8601 for a timestamp, chosen once per list. DRF's calls for each value (the current
time zone looked up, the format read from the settings, the checks for a value that a column
cannot hold) were the largest part of a page of 200 (docs/performance.md, "The lists'
values converted by their column's type"). A field whose class defines its own conversion,
or a value of a type the column does not give, keeps the field's own `to_representation`.

The plan is made once per serializer class, from an instance of its own: a model serializer
builds its fields from the model on every instance (about 27 fields of a case, each with its
arguments read from the model field), which cost more than rendering a page of 50 rows
(docs/performance.md, "The lists' Python"). So a serializer that opts in declares the same
fields whoever asks, and its fields render a value from the row alone; a field that reads the
request (a method field, a hyperlink) makes its serializer's plan be made for each list, from
the list's own child.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.fields import SkipField
from rest_framework.relations import (
    HyperlinkedRelatedField,
    ManyRelatedField,
    PKOnlyObject,
    PrimaryKeyRelatedField,
    RelatedField,
    SlugRelatedField,
)
from rest_framework.settings import api_settings
from rest_framework.utils.serializer_helpers import ReturnList

_SKIP = object()

Reader = Callable[[Any], Any]
Converter = Callable[[Any], Any] | None


class Step(NamedTuple):
    """One field of a row: its name, how to read it from a model instance (`read`), the key
    of its value in a row read as values (`key`: the `values()` lookup that selects it,
    `column`, or a set's name filled by `read_sets`; None when it cannot be read so), and how
    to convert a value that is not None (None: as read): `convert` for a model instance's,
    `of_value` for a values row's, which is the column's type as the database gives it
    (`_value_converter`; `_IN_ZONE` for a timestamp, converted in the request's time zone)."""

    name: str
    read: Reader
    key: str | None
    column: str | None
    convert: Converter
    of_value: Converter | object = None


class Plan(list[Step]):
    """The steps of a row, in the order its serializer renders them. A row read as values
    (a dict of `values(*plan.columns)`, its sets attached) is rendered through the same steps
    as a model instance: the values plan keeps each step's key in place of its reader."""

    @functools.cached_property
    def reads_values(self) -> bool:
        return all(step.key is not None for step in self)

    @functools.cached_property
    def columns(self) -> tuple[str, ...]:
        """The lookups a values row of this plan selects (its sets are read by id)."""
        return tuple(step.column for step in self if step.column is not None)

    def of_values(self) -> list[tuple[str, str, Converter]]:
        """The name, key and converter of each step of a values row, for the current time
        zone and DRF's formats of dates and timestamps as they are now."""
        if not self.reads_values:
            raise ImproperlyConfigured(
                "a field of this serializer cannot be read from a row of values: "
                + ", ".join(step.name for step in self if step.key is None)
            )
        zone = timezone.get_current_timezone() if settings.USE_TZ else None
        formats = (zone, api_settings.DATETIME_FORMAT, api_settings.DATE_FORMAT)
        steps = self._of_values.get(formats)
        if steps is None:
            steps = self._of_values[formats] = [
                (step.name, step.key, _resolved(step, *formats)) for step in self
            ]
        return steps

    @functools.cached_property
    def _of_values(self) -> dict[tuple[Any, ...], list[tuple[str, str, Converter]]]:
        # One list of steps per time zone a list is rendered in (the settings' one, and any
        # other a request activates).
        return {}

    @functools.cached_property
    def of_instances(self) -> list[tuple[str, Reader, Converter]]:
        return [(step.name, step.read, step.convert) for step in self]


# A values row's timestamp or date, converted as DRF's field converts it when the field takes
# DRF's default format and time zone (`_resolved` checks them for each list).
_IN_ZONE = object()
_DATE = object()

_TYPE_OF_COLUMN = {
    **dict.fromkeys(("CharField", "TextField", "SlugField", "EmailField", "URLField"), str),
    **dict.fromkeys(
        (
            "AutoField",
            "BigAutoField",
            "SmallAutoField",
            "IntegerField",
            "BigIntegerField",
            "SmallIntegerField",
            "PositiveIntegerField",
            "PositiveBigIntegerField",
            "PositiveSmallIntegerField",
        ),
        int,
    ),
    "BooleanField": bool,
}


def _declares(field: serializers.Field, method: str, drf_class: type) -> bool:
    """Whether `field` does `method` as `drf_class` does (its class does not override it)."""
    return isinstance(field, drf_class) and getattr(type(field), method) is getattr(
        drf_class, method
    )


def _returns_as_read(field: serializers.Field, kind: type) -> bool:
    """Whether the field's `to_representation` returns a value of type `kind` unchanged:
    `str(text)`, `int(number)`, a flag's own `bool`, a choice's code among codes of the same
    type (DRF looks the code up by its text and returns the code it finds)."""
    if kind is str and _declares(field, "to_representation", serializers.CharField):
        return True
    if kind is int and _declares(field, "to_representation", serializers.IntegerField):
        return True
    if (
        kind is int
        and _declares(field, "to_representation", serializers.BigIntegerField)
        and not getattr(field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING)
    ):
        return True
    if kind is bool and _declares(field, "to_representation", serializers.BooleanField):
        return True
    return (
        kind in (str, int)
        and _declares(field, "to_representation", serializers.ChoiceField)
        and all(type(code) is kind for code in field.choice_strings_to_values.values())
    )


def _value_converter(field: serializers.Field, column: models.Field | None) -> object:
    """How a values row's value of `column` (not None) is converted for `field`: None when the
    field returns it as it is, `_IN_ZONE` / `_DATE` for a timestamp / date column of DRF's
    own field, else the field's `to_representation` (also when the column is unknown)."""
    if column is None or column.is_relation or hasattr(column, "from_db_value"):
        # A type that Django converts on reading, or one this plan does not know.
        return field.to_representation
    internal = column.get_internal_type()
    kind = _TYPE_OF_COLUMN.get(internal)
    if kind is not None and _returns_as_read(field, kind):
        return None
    if (
        internal == "DateTimeField"
        and _declares(field, "to_representation", serializers.DateTimeField)
        and _declares(field, "enforce_timezone", serializers.DateTimeField)
        and _declares(field, "default_timezone", serializers.DateTimeField)
        and not hasattr(field, "timezone")
        and not hasattr(field, "format")
    ):
        return _IN_ZONE
    if (
        internal == "DateField"
        and _declares(field, "to_representation", serializers.DateField)
        and not hasattr(field, "format")
    ):
        return _DATE
    return field.to_representation


def _iso_datetime_in(zone: dt.tzinfo) -> Callable[[dt.datetime], str]:
    def convert(value: dt.datetime) -> str:
        # DRF's `DateTimeField.to_representation` of an aware timestamp in ISO 8601.
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return convert


def _resolved(
    step: Step, zone: dt.tzinfo | None, datetime_format: str | None, date_format: str | None
) -> Converter:
    """The step's values converter for a list rendered in `zone` with DRF's formats."""
    if step.of_value is _IN_ZONE:
        if (
            zone is not None
            and isinstance(datetime_format, str)
            and datetime_format.lower() == ISO_8601
        ):
            return _iso_datetime_in(zone)
        return step.convert
    if step.of_value is _DATE:
        if isinstance(date_format, str) and date_format.lower() == ISO_8601:
            return dt.date.isoformat
        return step.convert
    return step.of_value


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


def _through_required(model: type[models.Model] | None, path: list[str]) -> models.Field | None:
    """The column at the end of `path` when every step before it is a foreign key that is
    never null (DRF skips a field whose path meets a None; a values row's join would read a
    null instead), else None."""
    for attr in path[:-1]:
        relation = _model_field(model, attr)
        if relation is None or not relation.many_to_one or relation.null:
            return None
        model = relation.related_model
    column = _model_field(model, path[-1])
    return column if column is not None and not column.is_relation else None


def _step(field: serializers.Field, model: type[models.Model] | None) -> Step:
    attrs = field.source_attrs
    column = _model_field(model, field.source) if len(attrs) == 1 else None
    converter = field.to_representation
    if (
        type(field) is PrimaryKeyRelatedField
        and field.pk_field is None
        and column is not None
        and column.many_to_one
    ):
        attname = column.attname
        return Step(field.field_name, attrgetter(attname), attname, attname, None)
    if (
        type(field) is SlugRelatedField
        and column is not None
        and column.many_to_one
        and not column.null
        and _model_field(column.related_model, field.slug_field) is not None
    ):
        # What the field renders: the related row's slug, as read (the key is never null).
        lookup = f"{column.name}__{field.slug_field}"
        read = attrgetter(f"{column.name}.{field.slug_field}")
        return Step(field.field_name, read, lookup, lookup, None)
    listed = getattr(field, "listed", None)
    if isinstance(field, ManyRelatedField):
        # A set of every row of the page, attached under its name (`ListedSet`).
        key = listed if isinstance(listed, str) else None
        # A set read for the list is a `RenderedList`, which such a field renders as it is.
        of_value = list if getattr(field, "renders_listed_as_read", False) else converter
        return Step(field.field_name, _read_as_drf(field), key, None, converter, of_value)
    if isinstance(
        field, RelatedField | serializers.BaseSerializer | serializers.SerializerMethodField
    ):
        return Step(field.field_name, _read_as_drf(field), None, None, converter)
    if column is not None and not column.is_relation:
        attname = column.attname
        of_value = _value_converter(field, column)
        return Step(field.field_name, attrgetter(attname), attname, attname, converter, of_value)
    if isinstance(listed, str):
        # A column the list's query selects under its own name (an annotation).
        return Step(field.field_name, _read_as_drf(field), listed, listed, converter, converter)
    through = _through_required(model, attrs) if len(attrs) > 1 else None
    if through is not None:
        lookup = "__".join(attrs)
        of_value = _value_converter(field, through)
        return Step(field.field_name, _read_as_drf(field), lookup, lookup, converter, of_value)
    return Step(field.field_name, _read_as_drf(field), None, None, converter)


def reading_plan(child: serializers.Serializer) -> Plan:
    """For each field the child renders: its name, how to read it from a model instance and
    from a values row, and how to convert a value that is not None (None: as read)."""
    model = getattr(getattr(child, "Meta", None), "model", None)
    return Plan(_step(field, model) for field in child._readable_fields)


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
    may read the request (the plan is then made from each list's child), unless the class
    says that none does (`reads_the_request = False`: its methods read the object alone)."""
    child = serializer_class()
    if getattr(serializer_class, "reads_the_request", True) and any(
        _reads_the_request(field) for field in child._readable_fields
    ):
        return None
    return reading_plan(child)


def instance_plan(serializer_class: type[serializers.Serializer]) -> Plan | None:
    """The plan that renders one instance as `serializer_class(instance).data` does, made once
    per class: for a serializer whose lists are rendered by plan (`RowListSerializer`), none
    of whose fields reads the request, and that adds to its fields only through `complete`
    (as a list's rows are completed); None otherwise. The caller completes the row. DRF
    builds every field of a serializer again for each instance it renders, most of a
    one-object answer's Python (docs/performance.md, "Session create: the statements
    compiled once, the answer rendered by its plan")."""
    meta = getattr(serializer_class, "Meta", None)
    if getattr(meta, "list_serializer_class", None) is not RowListSerializer:
        return None
    if serializer_class.to_representation is not serializers.Serializer.to_representation and (
        getattr(serializer_class, "complete", None) is None
    ):
        # What it adds to its fields is said only by its own `to_representation`; a list's
        # rows are completed by `complete` (`RowListSerializer`), the one object the same way.
        return None
    return _class_plan(serializer_class)


def plan_of(child: serializers.Serializer) -> Plan:
    """The reading plan of a list's child: its class's, made once, where it can be."""
    plan = _class_plan(type(child))
    return plan if plan is not None else reading_plan(child)


def render_row(row: Any, plan: Plan) -> dict[str, Any]:
    """The row (a model instance, or a dict of values) as its serializer renders it."""
    if isinstance(row, dict):
        return render_values(row, plan.of_values())
    data: dict[str, Any] = {}
    for name, read, convert in plan.of_instances:
        value = read(row)
        if value is _SKIP:
            continue
        data[name] = value if value is None or convert is None else convert(value)
    return data


def render_values(row: dict[str, Any], steps: list[tuple[str, str, Converter]]) -> dict[str, Any]:
    """A values row rendered through its plan's `of_values` (every step has a value there;
    None stays None, as DRF renders it without asking the field)."""
    return {
        name: value if (value := row[key]) is None or convert is None else convert(value)
        for name, key, convert in steps
    }


# The key of a values row's primary key (`values_rows` selects it).
ROW_ID = "id"


def values_rows(queryset: QuerySet, plan: Plan, also: Iterable[str] = ()) -> QuerySet:
    """`queryset` as rows of values: the plan's columns, the primary key, and `also` (what the
    view reads from a row besides what it renders: the cursor's position, the access log's
    case), each row a dict that `render_row` renders as it renders the row's instance."""
    if queryset.model._meta.pk.attname != ROW_ID:
        raise ImproperlyConfigured(f"a values row keeps its primary key as {ROW_ID!r}")
    columns = dict.fromkeys((ROW_ID, *plan.columns, *also))
    return queryset.values(*columns)


class RowListSerializer(serializers.ListSerializer):
    """`many=True` of a read-only model serializer, rendered with one reading plan: from
    model instances, or from the rows of `values_rows` with their sets attached."""

    def to_representation(self, data: Iterable[Any]) -> list[dict[str, Any]]:
        rows = data.all() if isinstance(data, models.manager.BaseManager) else data
        plan = plan_of(self.child)
        rows = rows if isinstance(rows, list) else list(rows)
        if rows and isinstance(rows[0], dict):
            # A page of values rows: the steps chosen once for all of them.
            steps = plan.of_values()
            data = [render_values(row, steps) for row in rows]
        else:
            data = [render_row(row, plan) for row in rows]
        complete = getattr(self.child, "complete", None)
        if complete is None:
            return data
        return [complete(row, rendered) for row, rendered in zip(rows, data, strict=True)]

    @property
    def data(self) -> ReturnList:
        """The rows rendered, the serializer letting go of them: a list serializer and its
        child refer to each other (`child.parent`), so the page's rows and their rendered
        values would wait in that cycle for the garbage collector (docs/performance.md, "A
        request's objects freed when its answer is sent"). Rendered once: nothing reads the
        rows again."""
        rendered = super().data
        self.instance = None
        self.child.parent = None
        return ReturnList(rendered, serializer=None)


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
            if isinstance(row, dict):
                row[self.to_attr] = members[row[ROW_ID]]
            else:
                row.__dict__[self.to_attr] = members[row.pk]


@dataclass(frozen=True)
class ListedOne:
    """A reverse one-to-one of every row of a page (a case's desk details), read by the rows'
    ids and kept in each row's cache of `relation` (None where a row has none), as a
    prefetch keeps it, without the prefetch's queryset built from the rows' instances."""

    relation: str
    # The model of the related rows, and the rows of the ids (a queryset of them, or a
    # `casebook.common.prepared.PreparedRead` of it).
    model: type[models.Model]
    rows_of: Callable[[list[Any]], Iterable[models.Model]]
    # Which rows of values render it (a case's details: the cases of the details' desk); the
    # others are given None without their ids asked for, and a page with none of them reads
    # nothing (docs/performance.md, "The details read for the pages that render them").
    # None: every row. A model instance's row is always read.
    renders: Callable[[dict[str, Any]], bool] | None = None

    def attach(self, rows: Sequence[Any], ids: list[Any]) -> None:
        if self.renders is not None:
            ids = [
                row_id
                for row, row_id in zip(rows, ids, strict=True)
                if not isinstance(row, dict) or self.renders(row)
            ]
        found = self.rows_of(ids) if ids else ()
        forward = next(
            field
            for field in self.model._meta.concrete_fields
            if field.one_to_one and field.related_query_name() == self.relation
        )
        by_row = {getattr(obj, forward.attname): obj for obj in found}
        for row in rows:
            if isinstance(row, dict):
                # A values row keeps it under the relation's name.
                row[self.relation] = by_row.get(row[ROW_ID])
                continue
            obj = by_row.get(row.pk)
            forward.remote_field.set_cached_value(row, obj)
            if obj is not None:
                forward.set_cached_value(obj, row)


def read_sets(rows: Sequence[Any], sets: Iterable[ListedSet | ListedOne]) -> None:
    """Each of `sets` read for all of `rows` at once (one query each, none for no row)."""
    if not rows:
        return
    ids = [row[ROW_ID] if isinstance(row, dict) else row.pk for row in rows]
    for listed in sets:
        listed.attach(rows, ids)
