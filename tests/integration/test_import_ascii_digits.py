"""Only ASCII digits count as numbers in an import, on both databases: amounts, jobs,
targets and dates in other digits are refused, in CSV and JSON, and a reference written in
other digits is not the id it looks like."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.integration.transfer_store import TEMPLATE, Store, errors_of, rows, store
from tracker.transfer.errors import ImportRejected
from tracker.transfer.references import portfolio_id_for

__all__ = ["store"]  # the fixture, used by name


# 3. Only ASCII digits are numbers


DIGIT_CASES = {
    "arabic-indic amount": ("committed", "amount", "٥"),
    "fullwidth amount": ("committed", "amount", "１２.５"),
    "superscript planned jobs": ("announced", "planned_jobs", "²"),
    "arabic-indic permanent jobs": ("jobs_created", "permanent", "٥"),
    "superscript temporary jobs": ("jobs_created", "temporary", "³"),
    "fullwidth target jobs": ("targets", "jobs", "１２"),
    "devanagari projects": ("targets", "projects", "७४"),
    "fullwidth date": ("committed", "effective_date", "２０２５-０２-１５"),
    "arabic-indic planned start": ("announced", "planned_start", "٢٠٢٥-02-01"),
}


def with_cell(kind: str, column: str, value: str) -> str:
    """The template with ``column`` of its first ``kind`` row set to ``value``."""
    records = list(csv.DictReader(io.StringIO(TEMPLATE.read_text())))
    target = next(r for r in records if r["type"] == kind)
    target[column] = value
    return rows(*records)


@pytest.mark.parametrize("case", DIGIT_CASES.values(), ids=DIGIT_CASES.keys())
def test_numbers_and_dates_take_ascii_digits_only(store: Store, case: tuple[str, str, str]) -> None:
    kind, column, value = case
    with pytest.raises(ImportRejected) as excinfo:
        store.load(with_cell(kind, column, value), source="digits.csv")
    assert errors_of(excinfo) == {(next_line(kind), column)}
    assert repr(value) in excinfo.value.errors[0].message
    assert store.head() == 0


def next_line(kind: str) -> int:
    records = list(csv.DictReader(io.StringIO(TEMPLATE.read_text())))
    return next(i for i, r in enumerate(records, 2) if r["type"] == kind)


@pytest.mark.parametrize("case", DIGIT_CASES.values(), ids=DIGIT_CASES.keys())
def test_json_numbers_and_dates_take_ascii_digits_only(
    store: Store, case: tuple[str, str, str]
) -> None:
    kind, column, value = case
    records = list(csv.DictReader(io.StringIO(with_cell(kind, column, value))))
    items = [{k: v for k, v in r.items() if v} for r in records]
    text = "[\n" + ",\n".join(json.dumps(i, ensure_ascii=False) for i in items) + "\n]"
    with pytest.raises(ImportRejected) as excinfo:
        store.load(text, "json")
    assert errors_of(excinfo) == {(next_line(kind), column)}
    assert store.head() == 0


def test_a_reference_that_looks_like_an_id_with_other_digits_is_not_that_id() -> None:
    real = portfolio_id_for("kz-uz-2024")
    lookalike = str(real).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert lookalike != str(real) and portfolio_id_for(lookalike) != real
