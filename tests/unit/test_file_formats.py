"""Property tests of reading import files however a spreadsheet wrote them: any rows, written
in UTF-8, UTF-8 with a BOM, UTF-16 or cp1251, separated by commas, semicolons or tabs, with
numbers and dates in the plain or the regional form, read back as the same cells."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import hypothesis.strategies as st
import pytest
from hypothesis import assume, given, settings

from tracker.transfer.errors import RowError, Undecodable
from tracker.transfer.file_format import SEPARATORS, FileFormat
from tracker.transfer.raw_rows import RawRow
from tracker.transfer.readers import read_rows, resolved
from tracker.transfer.rows import parse_row

HEADER = ["row_id", "type", "project_ref", "effective_date", "amount", "currency", "title", "jobs"]
LATIN = st.text("abcdefghijklmnopqrstuvwxyzKZUS0123456789", min_size=1, max_size=8)
CYRILLIC = st.text("абвгдежзийклмнопрстуфхцчшщыэюяАБВГДЕЁЖЗИКЛМНОПРСТЁё", min_size=1, max_size=8)
#: Words of one script each (a Latin letter touching a Cyrillic one reads as accented Latin,
#: which is not taken for cp1251), with the separators and quotes a CSV must protect.
TEXT = st.lists(st.one_of(LATIN, CYRILLIC), min_size=1, max_size=5).flatmap(
    lambda words: st.sampled_from([" ", "; ", ", ", '" ', "\t"]).map(lambda gap: gap.join(words))
)
AMOUNTS = st.decimals(
    min_value=Decimal("-999999999999"),
    max_value=Decimal("999999999999"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)
ROWS = st.lists(
    st.fixed_dictionaries(
        {
            "effective_date": st.dates(date(1950, 1, 1), date(2199, 12, 31)),
            "amount": AMOUNTS,
            "title": TEXT,
            "jobs": st.integers(0, 10**9),
        }
    ),
    min_size=1,
    max_size=20,
)
SPACES = st.sampled_from([" ", "\u00a0", "\u202f"])


def grouped(digits: str, space: str) -> str:
    head, tail = digits[: len(digits) % 3 or 3], digits[len(digits) % 3 or 3 :]
    return space.join([head, *(tail[i : i + 3] for i in range(0, len(tail), 3))])


def cells_of(row: dict[str, object], index: int, regional: bool, space: str) -> list[str]:
    day = row["effective_date"]
    amount = row["amount"]
    jobs = row["jobs"]
    assert isinstance(day, date) and isinstance(amount, Decimal) and isinstance(jobs, int)
    if regional:
        sign, text = ("-", f"{-amount:.2f}") if amount < 0 else ("", f"{amount:.2f}")
        whole, fraction = text.split(".")
        written_amount = f"{sign}{grouped(whole, space)},{fraction}"
        written_day = f"{day.day:02d}.{day.month:02d}.{day.year}"
        written_jobs = grouped(str(jobs), space)
    else:
        written_amount, written_day, written_jobs = f"{amount:.2f}", day.isoformat(), str(jobs)
    title = row["title"]
    assert isinstance(title, str)
    return [
        f"r-{index}",
        "committed",
        "p",
        written_day,
        written_amount,
        "KZT",
        title,
        written_jobs,
    ]


def written(rows: list[dict[str, object]], separator: str, regional: bool, space: str = " ") -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(cells_of(row, i, regional, space) for i, row in enumerate(rows))
    return buffer.getvalue()


def read(data: bytes, fmt: FileFormat) -> tuple[FileFormat, list[RawRow | RowError]]:
    stream = io.BytesIO(data)
    found = resolved(stream, fmt)
    return found, list(read_rows(stream, found))


@settings(max_examples=100, deadline=None)
@given(
    rows=ROWS,
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1251"]),
    separator=st.sampled_from(SEPARATORS),
    regional=st.booleans(),
    space=SPACES,
)
def test_any_encoding_separator_and_form_reads_as_the_canonical_cells(
    rows: list[dict[str, object]], encoding: str, separator: str, regional: bool, space: str
) -> None:
    assume(not (encoding == "cp1251" and space == "\u202f"))  # cp1251 has no narrow space
    _, canonical = read(written(rows, ",", False).encode(), FileFormat("csv"))
    form = "regional" if regional else None
    fmt = FileFormat(
        "csv", number_format=form or "plain", date_format="regional" if regional else "iso"
    )
    data = written(rows, separator, regional, space).encode(encoding)
    # Some cp1251 text is also UTF-8, byte for byte ("ВЁ" is "¨"): no reader can tell such a
    # file from a UTF-8 one, and UTF-8 is assumed (the test below).
    assume(encoding != "cp1251" or not is_utf8(data))
    found, items = read(data, fmt)
    assert items == canonical
    assert all(isinstance(item, RawRow) for item in items) and len(items) == len(rows)
    assert found.separator == separator
    expected = {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "utf-16": "utf-16"}
    has_letters = any(not str(r["title"]).isascii() for r in rows)
    if encoding in expected:
        assert found.encoding == expected[encoding]
    elif has_letters:
        assert found.encoding == "cp1251"


def is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_bytes_that_are_both_cp1251_and_utf8_read_as_utf8() -> None:
    """Found by the test above: ``"ВЁ"`` in cp1251 is the UTF-8 of ``"¨"``. The file cannot
    say which it is; it is read as UTF-8, the encoding of every file the tracker writes."""
    rows: list[dict[str, object]] = [
        {"effective_date": date(2000, 1, 1), "amount": Decimal(0), "jobs": 0, "title": "ВЁ"}
    ]
    data = written(rows, ",", False).encode("cp1251")
    assert data == written(rows, ",", False).replace("ВЁ", "¨").encode("utf-8")
    found, items = read(data, FileFormat("csv"))
    assert found.encoding == "utf-8"
    assert isinstance(items[0], RawRow) and items[0].cells["title"] == "¨"


@pytest.mark.parametrize("title", ["ВЁЁ", "Вода ВЁ мост"])
def test_cp1251_that_begins_like_utf8_reads_as_cp1251(title: str) -> None:
    """Found by the test above: ``"ВЁЁ"`` in cp1251 starts with the UTF-8 of ``"¨"``, then
    a byte UTF-8 refuses; a UTF-8 letter met by chance is not a UTF-8 file."""
    rows: list[dict[str, object]] = [
        {"effective_date": date(2000, 1, 1), "amount": Decimal(0), "jobs": 0, "title": title}
    ]
    data = written(rows, ",", False).encode("cp1251")
    assert not is_utf8(data)
    found, items = read(data, FileFormat("csv"))
    assert found.encoding == "cp1251"
    assert isinstance(items[0], RawRow) and items[0].cells["title"] == title


def test_utf8_letters_then_a_bad_byte_read_as_utf8_refusing_that_line() -> None:
    rows: list[dict[str, object]] = [
        {"effective_date": date(2000, 1, 1), "amount": Decimal(n), "jobs": 0, "title": "Мост"}
        for n in range(3)
    ]
    lines = written(rows, ",", False).encode("utf-8").splitlines(keepends=True)
    lines[3] = lines[3].replace("Мост".encode(), b"\xcc\xee\xf1\xf2")  # line 4 in cp1251
    found, items = read(b"".join(lines), FileFormat("csv"))
    assert found.encoding == "utf-8"
    assert [(type(item), item.line) for item in items] == [(Undecodable, 4)]


@settings(max_examples=100, deadline=None)
@given(rows=ROWS, space=SPACES)
def test_a_regional_cell_read_plainly_is_refused_with_a_hint_never_guessed(
    rows: list[dict[str, object]], space: str
) -> None:
    _, items = read(written(rows, ";", True, space).encode("utf-16"), FileFormat("csv"))
    errors: list[RowError] = []
    parsed = [parse_row(item, errors) for item in items if isinstance(item, RawRow)]
    assert all(row is None for row in parsed)
    by_line: dict[int, set[str]] = {}
    for error in errors:
        by_line.setdefault(error.line, set()).add(error.message)
    for line in range(2, len(rows) + 2):
        messages = " ".join(by_line[line])
        assert "--date-format regional" in messages
    for error in errors:
        if error.column == "amount" and ("," in str(error.message).split("'")[1]):
            assert "--number-format regional" in error.message
