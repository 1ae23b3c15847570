"""Reading an import file as a stream: its records, one raw row at a time.

CSV and JSON are read from the start each pass, a piece at a time, never whole: a record is
its first line and its non-blank cells as text (formula quotes removed from text cells). A
CSV is read in the encoding and with the separator its :class:`FileFormat` names (found by
``file_format.detect``), its regional numbers and dates rewritten when the format says so;
JSON is UTF-8; XLSX is read by ``xlsx_reader``. What cannot be read (a bad header, broken
JSON, a byte that is not text in the encoding, a line too long) is a :class:`RowError` naming
its line, and a file-level error ends the records.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from itertools import compress
from typing import IO, Any

from tracker.domain.errors import N_
from tracker.transfer.columns import (
    AMOUNT_COLUMNS,
    COLUMNS,
    LIST_COLUMNS,
    TEXT_COLUMNS,
    join_list,
    unquote_formula,
)
from tracker.transfer.errors import RowError, Undecodable
from tracker.transfer.file_format import (
    EXPORT_FORMAT,
    FORMAT_VERSION,
    FileFormat,
    FileKind,
    detect,
)
from tracker.transfer.raw_rows import RawRow, check_header
from tracker.transfer.regional import localised
from tracker.transfer.xlsx_reader import read_xlsx, sheet_of

__all__ = ["ImportSource", "RawRow", "opened", "read_rows", "resolved", "stream_size"]

#: What an import reads: the file's bytes, its path, or an open binary file that can seek
#: (the API's spooled request body). A file is read as a stream, one window of rows at a time.
ImportSource = bytes | bytearray | str | os.PathLike[str] | IO[bytes]
#: A physical line longer than this is not a row of the format (its longest cell holds 5,000
#: characters); reading stops there rather than hold the line.
MAX_LINE = 1 << 20
#: A JSON row object may take at most this many characters.
MAX_JSON_ROW = 1 << 20
_CHUNK = 1 << 16
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
    if fmt.kind == "xlsx":
        yield from read_xlsx(stream, fmt)
        return
    # JSON is UTF-8 (RFC 8259); a CSV is in the encoding found or named
    encoding = (fmt.encoding if fmt.kind == "csv" else None) or "utf-8-sig"
    try:
        if fmt.kind == "csv":
            yield from _read_csv(stream, fmt, encoding)
        else:
            yield from _json_records(_JsonText(stream))
    except UnicodeDecodeError:
        yield _undecodable(stream, encoding, fmt.kind)


def resolved(stream: IO[bytes], fmt: FileFormat | FileKind) -> FileFormat:
    """The format a file is read in, found once before the first pass: a CSV's encoding and
    separator (those named are kept), a workbook's sheet."""
    if isinstance(fmt, str):
        fmt = FileFormat(fmt)
    if fmt.kind == "xlsx":
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
        chunk = stream.read(_CHUNK)
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
                if value:
                    cells[name] = unquote_formula(value) if is_text else value
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


class _JsonText:
    """The file's text, decoded as far as it is needed, with the line of any position in it.

    ``text`` holds the file from line ``base_line`` on (what was read is dropped as the
    reader moves on); positions are indexes into it."""

    _SPACE = re.compile(r"[ \t\r\n]*")

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.text = ""
        self.eof = False
        self.base_line = 1  # the line of text[0]
        self.counted = 0  # newlines are counted in text[:counted]
        self.counted_line = 1  # the line of text[counted]

    def fill(self, end: int) -> None:
        """Read on until the text holds ``end`` characters, or the file ends."""
        held = len(self.text)
        if held >= end or self.eof:
            return
        pieces = [self.text]
        while held < end and not self.eof:
            chunk = self.stream.read(_CHUNK)
            piece = self.decoder.decode(chunk, final=not chunk)
            self.eof = not chunk
            pieces.append(piece)
            held += len(piece)
        self.text = "".join(pieces)

    def at(self, index: int) -> str:
        """The character at ``index``, or ``""`` at the end of the file."""
        if index >= len(self.text):
            self.fill(index + _CHUNK)
        return self.text[index : index + 1]

    def skip_space(self, index: int) -> int:
        while True:
            space = self._SPACE.match(self.text, index)
            assert space is not None  # it matches nothing at least
            index = space.end()
            if index < len(self.text) or self.eof:
                return index
            self.fill(index + _CHUNK)

    def line(self, index: int) -> int:
        """The file's line at ``index`` (positions asked for only move forward)."""
        if index > self.counted:
            self.counted_line += self.text.count("\n", self.counted, index)
            self.counted = index
        return self.counted_line

    def decode(self, decoder: json.JSONDecoder, index: int) -> tuple[Any, int]:
        """The JSON value at ``index`` and the position after it; a value cut by the end of
        what was read is read on, up to :data:`MAX_JSON_ROW` characters."""
        self.fill(index + _CHUNK)
        while True:
            try:
                value, end = decoder.raw_decode(self.text, index)
            except json.JSONDecodeError:
                if self.eof or len(self.text) - index > MAX_JSON_ROW:
                    raise
                self.fill(len(self.text) + _CHUNK)
                continue
            if end < len(self.text) or self.eof:
                return value, end
            self.fill(len(self.text) + _CHUNK)  # a number may go on

    def error_line(self, error: json.JSONDecodeError) -> int:
        return self.base_line + error.lineno - 1

    def drop(self, index: int) -> int:
        """Forget the text before ``index``; the same position is then 0."""
        if index < _CHUNK:
            return index
        self.line(index)
        self.base_line = self.counted_line
        self.text = self.text[index:]
        self.counted = 0
        return 0


class _Stop(Exception):
    """A fault that ends the reading of a JSON file, with the error that says where."""

    def __init__(self, error: RowError) -> None:
        super().__init__(error.message)
        self.error = error


#: How deep the members of an export that the importer skips may nest.
MAX_SKIPPED_DEPTH = 64


def _json_records(text: _JsonText) -> Iterator[RawRow | RowError]:
    """A JSON array of row objects, or a JSON export (an object naming its ``format`` and
    carrying ``rows``); each row keeps the line where its object starts."""
    decoder = json.JSONDecoder(parse_float=Decimal)
    index = text.skip_space(0)
    try:
        if text.at(index) == "{":
            yield from _export_rows(text, decoder, index)
            return
        if text.at(index) != "[":
            raise _stop(text, index, N_("expected a JSON array of rows, or a JSON export"))
        index = yield from _array_rows(text, decoder, index)
        trailing = text.skip_space(index + 1)
        if text.at(trailing):
            raise _stop(text, trailing, N_("unexpected text after the array"))
    except _Stop as stop:
        yield stop.error


def _stop(
    text: _JsonText, index: int, message: str, column: str | None = None, /, **params: object
) -> _Stop:
    return _Stop(RowError(text.line(index), column, message, **params))


def _decode(text: _JsonText, decoder: json.JSONDecoder, index: int) -> tuple[Any, int]:
    try:
        return text.decode(decoder, index)
    except json.JSONDecodeError as error:
        raise _Stop(
            RowError(text.error_line(error), None, N_("invalid JSON: %(error)s"), error=error.msg)
        ) from None
    except RecursionError:
        raise _stop(text, index, N_("the JSON nests too deeply")) from None


def _array_rows(
    text: _JsonText, decoder: json.JSONDecoder, index: int
) -> Generator[RawRow | RowError, None, int]:
    """The rows of the array at ``index``; returns the position of its ``]``."""
    index = text.skip_space(index + 1)
    expect_item = False
    while True:
        if not text.at(index):
            raise _stop(text, index, N_("unexpected end of the JSON array"))
        if text.at(index) == "]" and not expect_item:
            return index
        line = text.line(index)
        item, index = _decode(text, decoder, index)
        if not isinstance(item, dict):
            yield RowError(line, None, N_("each row must be a JSON object"))
        else:
            cells, cell_errors = _json_cells(item, line)
            yield from cell_errors
            if cells:
                yield RawRow(line, cells)
        index = text.drop(text.skip_space(index))
        if text.at(index) == ",":
            index = text.skip_space(index + 1)
            expect_item = True
        else:
            expect_item = False
            if text.at(index) != "]":
                raise _stop(text, index, N_("expected ',' or ']' after a row"))


def _export_rows(
    text: _JsonText, decoder: json.JSONDecoder, index: int
) -> Iterator[RawRow | RowError]:
    """The rows of a JSON export: its ``format`` and ``format_version`` are checked, the
    members before ``rows`` skipped (a value at a time, never held whole), and nothing after
    the rows is read (the rest describes the portfolio; the rows are what it records)."""
    index = text.skip_space(index + 1)
    named = False
    while text.at(index) not in ("}", ""):
        key, index = _decode(text, decoder, index)
        index = text.skip_space(index)
        if not isinstance(key, str) or text.at(index) != ":":
            raise _stop(text, index, N_("expected a member name and ':' in the JSON object"))
        index = text.skip_space(index + 1)
        if key == "rows":
            if not named:
                raise _stop(text, index, N_('a JSON export names its "format" before its rows'))
            if text.at(index) != "[":
                raise _stop(text, index, N_("rows must be a JSON array of rows"), "rows")
            yield from _array_rows(text, decoder, index)
            return
        if key in ("format", "format_version"):
            value, end = _decode(text, decoder, index)
            _check_format(text, index, key, value)
            named = named or key == "format"
            index = end
        else:
            index = _skip(text, decoder, index, 0)
        index = text.drop(text.skip_space(index))
        if text.at(index) == ",":
            index = text.skip_space(index + 1)
        elif text.at(index) != "}":
            raise _stop(text, index, N_("expected ',' or '}' after a member of the JSON object"))
    raise _stop(text, index, N_('a JSON object is read as an export, and this one has no "rows"'))


def _check_format(text: _JsonText, index: int, key: str, value: Any) -> None:
    if key == "format" and value != EXPORT_FORMAT:
        raise _stop(
            text, index, N_("%(value)r is not a format this tracker reads"), key, value=value
        )
    if key == "format_version" and not (
        isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= FORMAT_VERSION
    ):
        raise _stop(
            text,
            index,
            N_("format_version %(value)r: this tracker reads versions 1 to %(version)s"),
            key,
            value=value,
            version=FORMAT_VERSION,
        )


def _skip(text: _JsonText, decoder: json.JSONDecoder, index: int, depth: int) -> int:
    """The position after the JSON value at ``index``, reading a container a value at a time."""
    opening = text.at(index)
    if opening not in ("[", "{"):
        return _decode(text, decoder, index)[1]
    if depth >= MAX_SKIPPED_DEPTH:
        raise _stop(text, index, N_("the JSON nests too deeply"))
    closing = "]" if opening == "[" else "}"
    index = text.skip_space(index + 1)
    if text.at(index) == closing:
        return index + 1
    while True:
        if opening == "{":
            index = text.skip_space(_decode(text, decoder, index)[1])
            if text.at(index) != ":":
                raise _stop(text, index, N_("expected ':' after a member name"))
            index = text.skip_space(index + 1)
        index = text.drop(text.skip_space(_skip(text, decoder, index, depth + 1)))
        if text.at(index) == closing:
            return index + 1
        if text.at(index) != ",":
            raise _stop(text, index, N_("expected ',' or '%(closing)s'"), closing=closing)
        index = text.skip_space(index + 1)


def _json_cells(item: dict[str, Any], line: int) -> tuple[dict[str, str], list[RowError]]:
    """JSON values as the cells a CSV would hold (amounts must be strings, as in the API)."""
    cells: dict[str, str] = {}
    errors: list[RowError] = []
    for name, value in item.items():
        if name not in COLUMNS:
            errors.append(RowError(line, name, N_("unknown column %(name)r"), name=name))
            continue
        if value is None:
            continue
        if isinstance(value, str):
            text = value.strip()
            if name in TEXT_COLUMNS:
                text = unquote_formula(text)
        elif name in AMOUNT_COLUMNS:
            errors.append(
                RowError(line, name, N_('amounts are decimal strings such as "1500000.00"'))
            )
            continue
        elif isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int):
            text = str(value)
        elif isinstance(value, list) and name in LIST_COLUMNS:
            if not all(isinstance(v, str) for v in value):
                errors.append(RowError(line, name, N_("must be a list of strings")))
                continue
            text = join_list([v.strip() for v in value if v.strip()])  # items as they are
        else:
            errors.append(RowError(line, name, N_("unexpected JSON value %(value)r"), value=value))
            continue
        if text:
            cells[name] = text
    return cells, errors
