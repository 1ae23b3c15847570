"""How an import file is written: its kind, its text encoding and separator, and the form of
its numbers and dates.

Spreadsheets in Kazakhstan and Uzbekistan save CSV with ``;`` between cells, in cp1251 or
UTF-16, with dates as ``31.03.2025`` and amounts as ``1 500 000,00``. The encoding and the
separator are found from the file itself, once, before any row is read (:func:`detect`): a
byte-order mark names UTF-8 or UTF-16; otherwise a file that is UTF-8 throughout is UTF-8,
and one whose first byte outside ASCII is not UTF-8 is cp1251 (a file with UTF-8 letters
before a bad byte, or Latin letters touching a byte beyond ASCII, is not cp1251 and is
refused with the line of its first bad byte); the separator is the one
that splits the first line into the format's column names. The regional forms of numbers and
dates are never guessed: they are read only when asked for (``number_format``,
``date_format``), for the whole file.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, replace
from typing import IO, Literal

from tracker.domain.errors import ValidationError
from tracker.i18n import N_, gettext
from tracker.transfer.columns import COLUMNS

FileKind = Literal["csv", "json", "xlsx"]
NumberFormat = Literal["plain", "regional"]
DateFormat = Literal["iso", "regional"]
NUMBER_FORMATS: tuple[NumberFormat, ...] = ("plain", "regional")
DATE_FORMATS: tuple[DateFormat, ...] = ("iso", "regional")
#: The separators a CSV may use: the comma, the semicolon (Excel where the comma is the
#: decimal sign) and the tab (Excel's "Unicode text").
SEPARATORS = (",", ";", "\t")
#: The file name endings read as each kind.
_ENDINGS: dict[str, FileKind] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".json": "json",
    ".xlsx": "xlsx",
}
_SCAN = 1 << 16
#: The name and version of the JSON export's format (``format``, ``format_version``), which
#: an import of that export reads (schema: ``schema/export-v1.json``).
EXPORT_FORMAT = "cooperation-tracker-export"
FORMAT_VERSION = 1


def file_kind(name: str) -> FileKind:
    """The kind a file name says, or :class:`ValidationError`."""
    lowered = name.lower()
    for ending, kind in _ENDINGS.items():
        if lowered.endswith(ending):
            return kind
    raise ValidationError(
        N_("%(name)s: the file name must end in %(allowed)s"),
        name=name,
        allowed=", ".join(_ENDINGS),
        field="file",
    )


def check_encoding(name: str) -> str:
    """A text encoding Python knows, by its canonical name; or :class:`ValidationError`."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise ValidationError(
            N_("%(name)r is not a text encoding such as utf-8, cp1251 or utf-16"),
            name=name,
            field="encoding",
        ) from None


@dataclass(frozen=True)
class FileFormat:
    """How to read a file. ``encoding`` and ``separator`` left as None are found by
    :func:`detect`; ``sheet`` is the workbook's sheet that was read."""

    kind: FileKind
    encoding: str | None = None
    separator: str | None = None
    number_format: NumberFormat = "plain"
    date_format: DateFormat = "iso"
    sheet: str | None = None

    def __post_init__(self) -> None:
        if self.number_format not in NUMBER_FORMATS:
            raise ValidationError(
                N_("number_format must be one of %(allowed)s"),
                allowed=", ".join(NUMBER_FORMATS),
                field="number_format",
            )
        if self.date_format not in DATE_FORMATS:
            raise ValidationError(
                N_("date_format must be one of %(allowed)s"),
                allowed=", ".join(DATE_FORMATS),
                field="date_format",
            )
        if self.separator is not None and self.separator not in SEPARATORS:
            raise ValidationError(N_("the separator must be a comma, a semicolon or a tab"))

    @property
    def regional(self) -> bool:
        return self.number_format == "regional" or self.date_format == "regional"

    def describe(self) -> str:
        """What was read, for a person: ``CSV, cp1251, semicolon-separated, …``."""
        parts = [self.kind.upper()]
        if self.kind == "csv":
            parts.append(self.encoding or "utf-8")
            parts.append(gettext(_SEPARATED[self.separator or ","]))
        if self.kind == "xlsx" and self.sheet is not None:
            parts.append(gettext("sheet %(name)s", name=repr(self.sheet)))
        numbers = _NUMBERS_REGIONAL if self.number_format == "regional" else _NUMBERS_PLAIN
        dates = _DATES_REGIONAL if self.date_format == "regional" else _DATES_ISO
        parts += [gettext(numbers), gettext(dates)]
        return ", ".join(parts)


_SEPARATED = {
    ",": N_("comma-separated"),
    ";": N_("semicolon-separated"),
    "\t": N_("tab-separated"),
}
_NUMBERS_REGIONAL = N_("numbers as 1 500 000,00")
_NUMBERS_PLAIN = N_("numbers as 1500000.00")
_DATES_REGIONAL = N_("dates as 31.03.2025")
_DATES_ISO = N_("dates as 2025-03-31")


def detect(stream: IO[bytes], fmt: FileFormat) -> FileFormat:
    """``fmt`` with the CSV's encoding and separator found (those given are kept)."""
    if fmt.kind != "csv":
        return fmt
    encoding = fmt.encoding or _encoding(stream)
    separator = fmt.separator or _separator(stream, encoding)
    stream.seek(0)
    return replace(fmt, encoding=encoding, separator=separator)


def _encoding(stream: IO[bytes]) -> str:
    stream.seek(0)
    head = stream.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(head) >= 2 and head[1] == 0 and head[0] != 0:
        return "utf-16-le"  # a header of ASCII names, no mark
    if len(head) >= 2 and head[0] == 0 and head[1] != 0:
        return "utf-16-be"
    if _utf8_or_faulty(stream) or _accented_latin(stream):
        return "utf-8"  # read as such, its fault refused with its line
    return "cp1251"


#: A Latin letter touching a byte that cp1251 reads as a Cyrillic letter (``Mil\xe9stone``):
#: a Latin text with an accent (Latin-1, say), not Cyrillic.
_LATIN_BESIDE_CYRILLIC = re.compile(rb"[A-Za-z][\xc0-\xff]|[\xc0-\xff][A-Za-z]")


def _accented_latin(stream: IO[bytes]) -> bool:
    stream.seek(0)
    carry = b""
    while chunk := stream.read(_SCAN):
        if _LATIN_BESIDE_CYRILLIC.search(carry + chunk):
            return True
        carry = chunk[-1:]
    return False


def _utf8_or_faulty(stream: IO[bytes]) -> bool:
    """Whether the file is UTF-8, or UTF-8 with faults: around its first bad byte (that
    chunk and the one before), more UTF-8 letters than bad bytes. Text in cp1251 makes a
    UTF-8 letter now and then by chance (``"ВЁ"`` is the UTF-8 of ``"¨"``), and a bad byte
    at nearly every letter."""
    stream.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    read = b""
    while True:
        chunk = stream.read(_SCAN)
        read += chunk
        try:
            decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError:
            text = read.decode("utf-8", errors="replace")
            bad = text.count("\ufffd")
            letters = len(text) - len(text.encode("ascii", errors="ignore")) - bad
            return letters > bad
        if not chunk:
            return True
        read = read[-_SCAN:]  # the chunk before a bad byte's is enough to judge by


def _separator(stream: IO[bytes], encoding: str) -> str:
    """The separator that splits the first line into the most column names (a comma when
    none does better)."""
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline="")
    try:
        first = text.readline(1 << 16)
    finally:
        text.detach()
    known = set(COLUMNS)

    def names(separator: str) -> int:
        cells = next(csv.reader([first], delimiter=separator), [])
        return sum(1 for cell in cells if cell.strip().lstrip("\ufeff") in known)

    return max(SEPARATORS, key=names)  # max keeps the first (the comma) on a tie
