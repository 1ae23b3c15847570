"""Reading the rows of an import from an Excel workbook (.xlsx), a sheet row at a time.

The sheet read is the one named ``Rows`` (the sheet the xlsx export writes the import rows
to), else the first whose first row names the columns ``row_id`` and ``type``, else the
first. Its first row is the header, as in a CSV; each later row is a record whose line is its
row number. Cells typed by the spreadsheet are written as the format's text: a number as a
plain decimal (the shortest that gives back the stored value), a date as ``2025-03-31``,
true/false as such. Text cells are read like a CSV's, regional forms included when asked for.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from typing import IO, Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from tracker.domain.errors import N_
from tracker.transfer.errors import RowError
from tracker.transfer.file_format import FileFormat
from tracker.transfer.raw_rows import RawRow, check_header, text_cell
from tracker.transfer.regional import localised

#: The sheet the xlsx export writes the import rows to.
ROWS_SHEET = "Rows"
_NOT_A_WORKBOOK = (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError)


def read_xlsx(stream: IO[bytes], fmt: FileFormat) -> Iterator[RawRow | RowError]:
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except _NOT_A_WORKBOOK as error:
        yield RowError(1, None, N_("not an Excel workbook (.xlsx): %(error)s"), error=str(error))
        return
    try:
        sheet = workbook[fmt.sheet] if fmt.sheet in workbook.sheetnames else _sheet(workbook)
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            yield RowError(1, None, N_("the sheet is empty; its first row must name the columns"))
            return
        columns = [str(name).strip() if name is not None else "" for name in header]
        while columns and not columns[-1]:
            columns.pop()  # cells formatted but never filled
        header_errors = check_header(columns)
        if header_errors:
            yield from header_errors
            return
        for number, values in enumerate(rows, start=2):
            cells: dict[str, str] = {}
            typed: dict[str, str] = {}
            for name, value in zip(columns, values, strict=False):
                if value is None:
                    continue
                if isinstance(value, str):
                    text = text_cell(name, value)
                    if text:
                        cells[name] = text
                else:
                    typed[name] = _typed_text(value)
            if fmt.regional and cells:
                yield from localised(cells, number, fmt)  # text cells only: typed ones are exact
            cells.update(typed)
            extra = [v for v in values[len(columns) :] if v is not None and str(v).strip()]
            if extra:
                yield RowError(
                    number,
                    None,
                    N_("a value beyond the %(count)s named columns"),
                    count=len(columns),
                )
            elif cells:
                yield RawRow(number, cells)
    finally:
        workbook.close()


def sheet_of(stream: IO[bytes]) -> str | None:
    """The name of the sheet an import reads (None: not a workbook)."""
    stream.seek(0)
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except _NOT_A_WORKBOOK:
        return None
    try:
        return str(_sheet(workbook).title)
    finally:
        workbook.close()
        stream.seek(0)


def _sheet(workbook: Any) -> Any:
    if ROWS_SHEET in workbook.sheetnames:
        return workbook[ROWS_SHEET]
    for sheet in workbook.worksheets:
        first = next(sheet.iter_rows(max_row=1, values_only=True), ())
        names = {str(v).strip() for v in first if v is not None}
        if {"row_id", "type"} <= names:
            return sheet
    return workbook.worksheets[0]


def _typed_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        number = Decimal(repr(value))  # the shortest decimal that is this float
        return format(number.normalize(), "f") if number == number.to_integral() else str(number)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()
