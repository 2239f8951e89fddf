"""Rows written in bulk, outside the services: `COPY` on PostgreSQL, `bulk_create` elsewhere.

Only the load generator writes this way (docs/performance.md): it fills a database with a
decade of work in minutes, so it writes plain rows with the ids it chose, no history rows
and no events, and resets the id sequences when it is done.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from typing import Any

from django.db import connection, models
from django.utils import timezone


class BulkWriter:
    """Writes rows of one model, each a dict of field attnames; defaults fill the rest."""

    def __init__(self, model: type[models.Model], *, batch: int = 20_000) -> None:
        self.model = model
        self.batch = batch
        self.fields = [f for f in model._meta.concrete_fields]
        now = timezone.now()
        self.defaults: dict[str, Any] = {}
        self.per_row: dict[str, Any] = {}
        for field in self.fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                self.defaults[field.attname] = now
            elif field.has_default() and callable(field.default):
                self.per_row[field.attname] = field.default  # e.g. a unique token per row
            elif field.has_default():
                self.defaults[field.attname] = field.get_default()
            elif field.null:
                self.defaults[field.attname] = None
            elif isinstance(field, (models.CharField, models.TextField)):
                self.defaults[field.attname] = ""
        self.json = {f.attname for f in self.fields if isinstance(f, models.JSONField)}
        self.written = 0

    def _row(self, values: dict[str, Any]) -> dict[str, Any]:
        row = {**self.defaults, **values}
        for name, make in self.per_row.items():
            if name not in values:
                row[name] = make()
        return row

    def write(self, rows: Iterable[dict[str, Any]]) -> int:
        if connection.vendor == "postgresql":
            self._copy(rows)
        else:
            chunk: list[models.Model] = []
            for values in rows:
                chunk.append(self.model(**self._row(values)))
                if len(chunk) >= self.batch:
                    self._flush(chunk)
            self._flush(chunk)
        return self.written

    def _flush(self, chunk: list[models.Model]) -> None:
        if chunk:
            self.model.objects.bulk_create(chunk, batch_size=500)
            self.written += len(chunk)
            chunk.clear()

    def _copy(self, rows: Iterable[dict[str, Any]]) -> None:
        rows = iter(rows)
        first = next(rows, None)
        if first is None:
            return
        # A column no row names and nothing defaults (a through table's id) is left to the
        # database.
        known = first.keys() | self.defaults.keys() | self.per_row.keys()
        fields = [f for f in self.fields if f.attname in known]
        table = connection.ops.quote_name(self.model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        names = [f.attname for f in fields]
        json_names = self.json
        rows = itertools.chain([first], rows)
        with connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for values in rows:
                    row = self._row(values)
                    copy.write_row(
                        [
                            json.dumps(row[name]) if name in json_names else row[name]
                            for name in names
                        ]
                    )
                    self.written += 1


def next_id(model: type[models.Model]) -> int:
    """The first id after the model's rows (the generator chooses its own ids)."""
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1


def reset_sequences(*model_list: type[models.Model]) -> None:
    """After rows were written with chosen ids, new rows continue after the largest."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in model_list:
            table = model._meta.db_table
            pk = model._meta.pk.column
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, %s), "
                f"COALESCE((SELECT MAX({connection.ops.quote_name(pk)}) FROM "
                f"{connection.ops.quote_name(table)}), 1))",
                [table, pk],
            )
