"""An import's report, as the answer to ``POST /api/v1/imports``."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

import msgspec

from api.schemas import FileReadOut, ImportedRowOut, ImportOut
from tracker.transfer.file_format import FileFormat
from tracker.transfer.importer import ImportReport

#: Rows of the answer encoded per chunk of its stream.
ANSWER_ROWS = 1000


def file_read_out(fmt: FileFormat | None) -> FileReadOut | None:
    if fmt is None:
        return None
    return FileReadOut(
        kind=fmt.kind,
        encoding=fmt.encoding,
        separator=fmt.separator,
        sheet=fmt.sheet,
        number_format=fmt.number_format,
        date_format=fmt.date_format,
        summary=fmt.describe(),
    )


def import_out(report: ImportReport, *, rows: bool = True) -> ImportOut:
    """The answer to an import (``rows=False``: without the rows, but counting them)."""
    return ImportOut(
        dry_run=report.dry_run,
        rows_total=len(report.rows),
        new=report.new,
        already_recorded=report.already_recorded,
        events_recorded=report.events_recorded,
        position=report.position,
        seconds=round(report.seconds, 3),
        read_as=file_read_out(report.file_format),
        rows=[ImportedRowOut(r.line, r.row_id, r.type, r.ref, r.outcome) for r in report.rows]
        if rows
        else [],
    )


def import_answer(report: ImportReport) -> Iterator[bytes]:
    """:class:`ImportOut` as JSON, encoded a chunk of rows at a time (an import of a million
    rows answers with a million outcomes, read back from the report's temporary file)."""
    try:
        head = msgspec.json.encode(import_out(report, rows=False))
        yield head[: -len(b"]}")]  # ..."rows":[
        separator = b""
        rows = iter(report.rows)  # read back in pages, not a query per row
        while chunk := [
            ImportedRowOut(r.line, r.row_id, r.type, r.ref, r.outcome)
            for r in islice(rows, ANSWER_ROWS)
        ]:
            yield separator + msgspec.json.encode(chunk)[1:-1]
            separator = b","
        yield b"]}"
    finally:
        report.close()
