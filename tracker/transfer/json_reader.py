"""Reading a JSON import file as a stream: a JSON array of rows, or a JSON export (an object
naming its ``format`` before its ``rows``), decoded a piece at a time, never whole. A broken
document is a :class:`RowError` naming its line, and ends the records."""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Generator, Iterator
from decimal import Decimal
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
from tracker.transfer.errors import RowError
from tracker.transfer.file_format import EXPORT_FORMAT, FORMAT_VERSION
from tracker.transfer.raw_rows import RawRow

#: A JSON row object may take at most this many characters.
MAX_JSON_ROW = 1 << 20
#: How much of the file is read at a time.
CHUNK = 1 << 16


def read_json(stream: IO[bytes]) -> Iterator[RawRow | RowError]:
    """The file's rows from where the stream is, in order, with the errors met in them."""
    return _json_records(_JsonText(stream))


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
            chunk = self.stream.read(CHUNK)
            piece = self.decoder.decode(chunk, final=not chunk)
            self.eof = not chunk
            pieces.append(piece)
            held += len(piece)
        self.text = "".join(pieces)

    def at(self, index: int) -> str:
        """The character at ``index``, or ``""`` at the end of the file."""
        if index >= len(self.text):
            self.fill(index + CHUNK)
        return self.text[index : index + 1]

    def skip_space(self, index: int) -> int:
        while True:
            space = self._SPACE.match(self.text, index)
            assert space is not None  # it matches nothing at least
            index = space.end()
            if index < len(self.text) or self.eof:
                return index
            self.fill(index + CHUNK)

    def line(self, index: int) -> int:
        """The file's line at ``index`` (positions asked for only move forward)."""
        if index > self.counted:
            self.counted_line += self.text.count("\n", self.counted, index)
            self.counted = index
        return self.counted_line

    def decode(self, decoder: json.JSONDecoder, index: int) -> tuple[Any, int]:
        """The JSON value at ``index`` and the position after it; a value cut by the end of
        what was read is read on, up to :data:`MAX_JSON_ROW` characters."""
        self.fill(index + CHUNK)
        while True:
            try:
                value, end = decoder.raw_decode(self.text, index)
            except json.JSONDecodeError:
                if self.eof or len(self.text) - index > MAX_JSON_ROW:
                    raise
                self.fill(len(self.text) + CHUNK)
                continue
            if end < len(self.text) or self.eof:
                return value, end
            self.fill(len(self.text) + CHUNK)  # a number may go on

    def error_line(self, error: json.JSONDecodeError) -> int:
        return self.base_line + error.lineno - 1

    def drop(self, index: int) -> int:
        """Forget the text before ``index``; the same position is then 0."""
        if index < CHUNK:
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
