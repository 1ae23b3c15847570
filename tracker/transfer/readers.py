"""Reading an import file as a stream: its records, one raw row at a time.

CSV and JSON are read from the start each pass, a piece at a time, never whole: a record is
its first line and its non-blank cells as text (formula quotes removed from text cells). A
CSV is read in the encoding and with the separator its :class:`FileFormat` names (found by
``file_format.detect``), its regional numbers and dates rewritten when the format says so;
JSON is UTF-8, read by ``json_reader``; XLSX is read by ``xlsx_reader``. What cannot be read
(a bad header, broken JSON, a byte that is not text in the encoding, a line too long) is a
:class:`RowError` naming its line, and a file-level error ends the records.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from itertools import compress
from typing import IO

from tracker.domain.errors import N_
from tracker.transfer.columns import TEXT_COLUMNS, unquote_formula
from tracker.transfer.errors import RowError, Undecodable
from tracker.transfer.file_format import FileFormat, FileKind, detect
from tracker.transfer.json_reader import CHUNK, read_json
from tracker.transfer.raw_rows import RawRow, check_header
from tracker.transfer.regional import localised

__all__ = ["ImportSource", "RawRow", "opened", "read_rows", "resolved", "stream_size"]

#: What an import reads: the file's bytes, its path, or an open binary file that can seek
#: (the API's spooled request body). A file is read as a stream, one window of rows at a time.
ImportSource = bytes | bytearray | str | os.PathLike[str] | IO[bytes]
#: A physical line longer than this is not a row of the format (its longest cell holds 5,000
#: characters); reading stops there rather than hold the line.
MAX_LINE = 1 << 20
_UTF8 = ("utf-8", "utf-8-sig")


@contextmanager
def opened(data: ImportSource) -> Iterator[IO[bytes]]:
    """The source as a binary stream that can be read again from the start."""
    if isinstance(data, bytes | bytearray):
        yield io.BytesIO(data)
    elif isinstance(data, str | os.PathLike):
        with open(data, "rb") as stream:
            yield stream
    else:
        yield data


def read_rows(stream: IO[bytes], fmt: FileFormat) -> Iterator[RawRow | RowError]:
    """The file's records from its start, in order, with the errors met while reading them
    (a file-level error such as a bad header or broken JSON ends the rows)."""
    stream.seek(0)
    if fmt.kind == "xlsx":  # openpyxl imported when needed: a quarter second of every start
        from tracker.transfer.xlsx_reader import read_xlsx

        yield from read_xlsx(stream, fmt)
        return
    # JSON is UTF-8 (RFC 8259); a CSV is in the encoding found or named
    encoding = (fmt.encoding if fmt.kind == "csv" else None) or "utf-8-sig"
    try:
        if fmt.kind == "csv":
            yield from _read_csv(stream, fmt, encoding)
        else:
            yield from read_json(stream)
    except UnicodeDecodeError:
        yield _undecodable(stream, encoding, fmt.kind)


def resolved(stream: IO[bytes], fmt: FileFormat | FileKind) -> FileFormat:
    """The format a file is read in, found once before the first pass: a CSV's encoding and
    separator (those named are kept), a workbook's sheet."""
    if isinstance(fmt, str):
        fmt = FileFormat(fmt)
    if fmt.kind == "xlsx":
        from tracker.transfer.xlsx_reader import sheet_of

        return replace(fmt, sheet=fmt.sheet or sheet_of(stream))
    return detect(stream, fmt)


def not_text(encoding: str, kind: FileKind = "csv") -> tuple[str, dict[str, object]]:
    """What is said of a file whose bytes are not text in ``encoding``: the message and its
    variables."""
    name = codecs.lookup(encoding).name
    if name in _UTF8 and kind == "json":
        return N_("the file is not UTF-8 text (JSON is UTF-8)"), {}
    if name in _UTF8:
        return N_(
            "the file is not UTF-8 text (a CSV saved in another encoding is read as such when "
            "it is named: --encoding cp1251, or a charset in the API's Content-Type)"
        ), {}
    return N_("the file is not %(encoding)s text"), {"encoding": name}


def stream_size(stream: IO[bytes]) -> int:
    """The size of the file in bytes; the stream is left at its start."""
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


def _undecodable(stream: IO[bytes], encoding: str, kind: FileKind) -> Undecodable:
    """The error naming the line of the file's first byte that is not text in ``encoding``."""
    if codecs.lookup(encoding).name in _UTF8:
        line = _undecodable_utf8_line(stream)
    else:  # a rare fault (a byte cp1251 lacks, half a UTF-16 character): read it whole
        stream.seek(0)
        data = stream.read()
        try:
            data.decode(encoding)
            line = 1
        except UnicodeDecodeError as error:
            line = 1 + data[: error.start].decode(encoding, errors="replace").count("\n")
    message, params = not_text(encoding, kind)
    return Undecodable(line, None, message, **params)


def _undecodable_utf8_line(stream: IO[bytes]) -> int:
    """The line of the file's first byte that is not UTF-8 (read again in chunks)."""
    stream.seek(0)
    line, carry = 1, b""
    while True:
        chunk = stream.read(CHUNK)
        data = carry + chunk
        carry = b""
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as error:
            if not (chunk and error.reason == "unexpected end of data"):
                return line + data[: error.start].count(b"\n")
            carry, data = data[error.start :], data[: error.start]  # a character cut in two
        if not chunk:
            return line
        line += data.count(b"\n")


class _LineTooLong(Exception):
    pass


def _lines(text: IO[str]) -> Iterator[str]:
    while line := text.readline(MAX_LINE):
        if len(line) == MAX_LINE and not line.endswith(("\n", "\r")):
            raise _LineTooLong
        yield line


def _read_csv(stream: IO[bytes], fmt: FileFormat, encoding: str) -> Iterator[RawRow | RowError]:
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    try:
        yield from _csv_records(text, fmt)
    finally:
        text.detach()  # the stream stays open for the next pass


def _csv_records(text: IO[str], fmt: FileFormat) -> Iterator[RawRow | RowError]:
    reader = csv.reader(_lines(text), delimiter=fmt.separator or ",")
    line = 1
    try:
        header = next(reader, None)
        if header is None:
            yield RowError(1, None, N_("the file is empty; the first line must name the columns"))
            return
        columns = [name.strip().lstrip("\ufeff") for name in header]
        header_errors = check_header(columns)
        if header_errors:
            yield from header_errors
            return
        named = [(name, name in TEXT_COLUMNS) for name in columns]
        width = len(columns)
        regional = fmt.regional
        line = reader.line_num + 1
        for record in reader:
            start, line = line, reader.line_num + 1
            if len(record) > width:
                if any(cell.strip() for cell in record):
                    yield RowError(
                        start,
                        None,
                        N_("%(cells)s cells, but the header names %(columns)s columns"),
                        cells=len(record),
                        columns=width,
                    )
                continue
            cells = {}
            # most cells are blank: compress skips them without a step of Python each
            for (name, is_text), value in compress(zip(named, record, strict=False), record):
                value = value.strip()
                if value:  # only a cell starting with ' can carry a formula's quote
                    cells[name] = unquote_formula(value) if is_text and value[0] == "'" else value
            if regional and cells:
                yield from localised(cells, start, fmt)
            if cells:
                yield RawRow(start, cells)
    except csv.Error as error:
        yield RowError(line, None, N_("unreadable CSV: %(error)s"), error=str(error))
    except _LineTooLong:
        yield RowError(
            line,
            None,
            N_("unreadable CSV: a line longer than %(max)s characters"),
            max=f"{MAX_LINE:,}",
        )
