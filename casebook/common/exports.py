"""The one CSV and XLSX writer of every export (docs/reports.md, "Exports").

- CSV is UTF-8 with a BOM, so that Excel opens Japanese text correctly, and is streamed in
  pieces of `CSV_PIECE_ROWS` rows, so that a fiscal year of sessions exports with flat memory.
- A cell that a spreadsheet would read as a formula (it starts with `=`, `+`, `-`, `@`, a tab
  or a carriage return) is written with a leading apostrophe: an exported client name must
  never run as a formula on the reader's machine. Numbers stay numbers.
- XLSX goes through openpyxl's write-only workbook, which also keeps memory flat.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from itertools import islice
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Column = tuple[str, Callable[[Any], Any]]


def neutralise(value: Any) -> Any:
    """A cell as it is written: numbers and dates as they are, text never as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float | Decimal | dt.date):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


# Rows written into one piece of the streamed CSV: a piece per row cost the writer, the
# encoding and the response's iteration once for each of 100,000 rows; a piece of 500 rows
# (about 100 KB of sessions) keeps memory flat all the same (docs/performance.md, "The
# session export").
CSV_PIECE_ROWS = 500


def _cells(row: Iterable[Any]) -> list[Any]:
    """`neutralise` of each cell; a plain text cell, most of them, checked in line."""
    return [
        ("'" + cell if cell.startswith(FORMULA_STARTS) else cell)
        if type(cell) is str
        else neutralise(cell)
        for cell in row
    ]


def csv_rows(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV text, the BOM first, in pieces of `CSV_PIECE_ROWS` rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(_cells(header))
    rows = iter(rows)
    piece = list(islice(rows, CSV_PIECE_ROWS))
    while piece:
        writer.writerows([_cells(row) for row in piece])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        piece = list(islice(rows, CSV_PIECE_ROWS))
    if buffer.tell():
        yield buffer.getvalue()


def _attachment(response: HttpResponse | StreamingHttpResponse, filename: str) -> None:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'


def csv_response(
    filename: str, header: Sequence[Any], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in csv_rows(header, rows)),
        content_type="text/csv; charset=utf-8",
    )
    _attachment(response, filename)
    return response


def column_rows(columns: Sequence[Column], rows: Iterable[Any]) -> Iterator[list[Any]]:
    values = [value for _header, value in columns]
    for row in rows:
        yield [value(row) for value in values]


def columns_csv_response(
    filename: str, columns: Sequence[Column], rows: Iterable[Any]
) -> StreamingHttpResponse:
    """`rows` as CSV, one column per `columns` (a header and a function of the row)."""
    return csv_response(filename, [str(h) for h, _v in columns], column_rows(columns, rows))


def json_response(filename: str, document: Any) -> HttpResponse:
    """`document` as a downloaded JSON file (UTF-8, Japanese kept readable)."""
    body = json.dumps(document, ensure_ascii=False, indent=2, cls=DjangoJSONEncoder)
    response = HttpResponse(body.encode("utf-8"), content_type="application/json; charset=utf-8")
    _attachment(response, filename)
    return response


Sheet = tuple[str, Sequence[Any], Iterable[Sequence[Any]]]


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """A workbook with one sheet per `(title, header, rows)`; the header row is frozen."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        sheet.freeze_panes = "A2"
        header_cells = []
        for value in header:
            cell = WriteOnlyCell(sheet, value=neutralise(value))
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in rows:
            sheet.append(_cells(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(filename: str, sheets: Sequence[Sheet]) -> HttpResponse:
    response = HttpResponse(xlsx_bytes(sheets), content_type=XLSX_CONTENT_TYPE)
    _attachment(response, filename)
    return response


def xlsx_form_bytes(
    title: str,
    preamble: Sequence[Sequence[Any]],
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
) -> bytes:
    """One sheet laid out as a form handed to a funder: the `preamble` lines first (the
    first bold: the title), an empty line, the header row (bold), then the rows; the panes
    freeze below the header and right of the first column, so the labels stay in view."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.column_dimensions["A"].width = 36
    sheet.freeze_panes = f"B{len(preamble) + 3}"

    def cells(values: Sequence[Any], *, strong: bool) -> list[Any]:
        line = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=neutralise(value))
            if strong:
                cell.font = bold
            line.append(cell)
        return line

    for index, line in enumerate(preamble):
        sheet.append(cells(line, strong=index == 0))
    sheet.append([])
    sheet.append(cells(header, strong=True))
    for row in rows:
        sheet.append([neutralise(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_form_response(
    filename: str,
    title: str,
    preamble: Sequence[Sequence[Any]],
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
) -> HttpResponse:
    response = HttpResponse(
        xlsx_form_bytes(title, preamble, header, rows), content_type=XLSX_CONTENT_TYPE
    )
    _attachment(response, filename)
    return response


def record(obj: Any, *, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """Every stored field of `obj` as plain JSON values (a foreign key as its id), for the
    exports that must hold a record whole (docs/security.md, "APPI")."""
    skipped = set(exclude)
    values: dict[str, Any] = {}
    for model_field in obj._meta.concrete_fields:
        if model_field.name in skipped:
            continue
        value = getattr(obj, model_field.attname)
        if isinstance(value, dt.date | dt.datetime):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        values[model_field.attname] = value
    return values
