"""Reading an import row's amounts, counts and currencies: the common cells take a short way
(a plain amount, a small count, a currency already found in ISO 4217), every other cell the
checked one; both must read a cell the same, and refuse it with the same message."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tracker.transfer.cells import Cells
from tracker.transfer.errors import RowError
from tracker.transfer.raw_rows import RawRow


def read(method: str, value: str | None, *, required: bool = False) -> tuple[object, list[str]]:
    errors: list[RowError] = []
    cells = Cells(RawRow(7, {} if value is None else {"cell": value}), errors)
    found = getattr(cells, method)("cell", required=required)
    assert all(e.line == 7 and e.column == "cell" for e in errors)
    return found, [e.message for e in errors]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1500000.00", Decimal("1500000.00")),
        ("-12.5", Decimal("-12.5")),
        ("0", Decimal("0")),
        ("123456789012345678.123456", Decimal("123456789012345678.123456")),
    ],
)
def test_a_plain_amount_is_read_exactly(value: str, expected: Decimal) -> None:
    found, errors = read("amount", value)
    assert (found, errors) == (expected, [])
    assert str(found) == value  # as written: no rounding, no normalising


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1e5", "'1e5' is not a decimal amount such as \"1500000.00\""),
        ("١٢", "'١٢' is not a decimal amount such as \"1500000.00\""),
        ("1234567890123456789", "'1234567890123456789' is not a decimal amount such as "),
        ("1.1234567", "'1.1234567' is not a decimal amount such as "),
        (
            "1 500,00",
            "'1 500,00' is not a decimal amount such as \"1500000.00\"; it looks like a number "
            "written with a decimal comma",
        ),
        ("9" * 501, "must be at most 500 characters"),
    ],
)
def test_any_other_amount_is_refused_as_before(value: str, message: str) -> None:
    found, errors = read("amount", value)
    assert found is None and len(errors) == 1 and errors[0].startswith(message)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", 0), ("5", 5), ("007", 7), ("999999999", 999_999_999), ("1000000000", 10**9)],
)
def test_a_count_is_read_up_to_a_billion(value: str, expected: int) -> None:
    assert read("count", value) == (expected, [])


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1000000001", "must be at most 1,000,000,000"),
        ("00000000001", "must be at most 1,000,000,000"),  # 11 digits, however small
        ("-1", "'-1' is not a whole number of at least 0 (digits 0-9)"),
        ("٥", "'٥' is not a whole number of at least 0 (digits 0-9)"),
        ("2.0", "'2.0' is not a whole number of at least 0 (digits 0-9)"),
    ],
)
def test_any_other_count_is_refused_as_before(value: str, message: str) -> None:
    found, errors = read("count", value)
    assert found is None and errors == [message]


def test_a_currency_is_checked_once_and_then_known() -> None:
    assert read("currency", "KZT") == ("KZT", [])
    assert read("currency", "KZT") == ("KZT", [])  # now known: the same answer


@pytest.mark.parametrize("value", ["usd", "US", "XQZ", "ЕUR"])
def test_a_code_that_is_not_a_currency_is_refused_every_time(value: str) -> None:
    first = read("currency", value)
    assert first[0] is None and len(first[1]) == 1
    assert read("currency", value) == first  # a refused code is not remembered as known


@pytest.mark.parametrize("method", ["amount", "count", "currency"])
def test_a_blank_cell_is_nothing_or_required(method: str) -> None:
    assert read(method, None) == (None, [])
    assert read(method, None, required=True) == (None, ["must not be blank"])
