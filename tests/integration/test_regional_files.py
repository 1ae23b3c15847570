"""Spreadsheets from Kazakhstan and Uzbekistan: CSV with ``;`` in cp1251 or UTF-16, regional
numbers and dates, XLSX workbooks, and a CSV export Excel opens as UTF-8. Real files, written
in each encoding, imported through the CLI and the importer into real databases."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import openpyxl
import pytest
from click.testing import CliRunner

from tests.integration.round_trip import (
    build_portfolio,
    events_besides_rate_sets,
    every_report,
    extra_rows,
    project_ids,
)
from tests.integration.transfer_store import TEMPLATE, Store, cli_env, empty_twin, store
from tracker.cli import main
from tracker.settings import Settings
from tracker.transfer.columns import AMOUNT_COLUMNS, COLUMNS, DATE_COLUMNS, INT_COLUMNS
from tracker.transfer.errors import ImportRejected
from tracker.transfer.file_format import FileFormat
from tracker.transfer.references import portfolio_id_for

__all__ = ["empty_twin", "store"]  # the fixtures, used by name
NBSP = "\u00a0"
REGIONAL = ["--number-format", "regional", "--date-format", "regional"]
PF = portfolio_id_for("kz-uz-2024")


def canonical_rows() -> list[dict[str, str]]:
    """The template's rows, with Cyrillic text (cp1251 has no ``é``)."""
    text = (
        TEMPLATE.read_text(encoding="utf-8")
        .replace("Copper cathode plant", "Завод медных катодов")
        .replace("Forum communiqué", "Коммюнике форума")
        .replace("Ceremony with both ministers", "Церемония с обоими министрами")
    )
    return list(csv.DictReader(io.StringIO(text)))


def write(rows: list[dict[str, str]], separator: str = ",") -> str:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, delimiter=separator, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({k: v for k, v in row.items() if k in COLUMNS} for row in rows)
    return buffer.getvalue()


def spaced(digits: str, space: str) -> str:
    groups = []
    while len(digits) > 3:
        digits, group = digits[:-3], digits[-3:]
        groups.insert(0, group)
    return space.join([digits, *groups])


def regional_number(value: str, space: str = NBSP) -> str:
    sign = "-" if value.startswith("-") else ""
    whole, _, fraction = value.lstrip("-").partition(".")
    return sign + spaced(whole, space) + ("," + fraction if fraction else "")


def regional_day(value: str) -> str:
    day = date.fromisoformat(value)
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


def regionalised(rows: list[dict[str, str]], space: str = NBSP) -> list[dict[str, str]]:
    """The rows as Excel in a Russian-language Windows writes them."""
    out = []
    for row in rows:
        row = dict(row)
        for column, value in row.items():
            if not value:
                continue
            if column in AMOUNT_COLUMNS or column in INT_COLUMNS:
                row[column] = regional_number(value, space)
            elif column in DATE_COLUMNS:
                row[column] = regional_day(value)
        out.append(row)
    return out


def import_file(settings: Settings, path: Path, *options: str) -> Any:
    return CliRunner().invoke(main, ["import", str(path), *options], env=cli_env(settings))


@pytest.mark.parametrize(
    ("encoding", "separator", "described"),
    [
        ("cp1251", ";", "CSV, cp1251, semicolon-separated"),
        ("utf-16", "\t", "CSV, utf-16, tab-separated"),  # Excel's "Unicode text"
        ("utf-16", ";", "CSV, utf-16, semicolon-separated"),
        ("utf-8-sig", ";", "CSV, utf-8-sig, semicolon-separated"),
    ],
)
def test_a_regional_csv_is_the_same_rows_as_the_canonical_one(
    store: Store, settings: Settings, tmp_path: Path, encoding: str, separator: str, described: str
) -> None:
    rows = canonical_rows()
    regional = tmp_path / "portfolio.csv"
    regional.write_bytes(write(regionalised(rows), separator).encode(encoding))
    assert b"\xc7\xe0\xe2\xee\xe4" in regional.read_bytes() or encoding != "cp1251"  # "Завод"

    first = import_file(settings, regional, *REGIONAL)
    assert first.exit_code == 0, first.output
    assert f"as {described}, numbers as 1 500 000,00, dates as 31.03.2025" in first.output
    assert f"{len(rows)} events recorded" in first.output

    canonical = tmp_path / "canonical.csv"
    canonical.write_text(write(rows), encoding="utf-8")
    again = import_file(settings, canonical)
    assert again.exit_code == 0, again.output
    assert f"0 events recorded, {len(rows)} rows already recorded" in again.output
    project = store.tracker.project(
        next(
            UUID(p)
            for p in project_ids(store.engine, portfolio_id_for("kz-uz-2024"))
            if store.tracker.project(UUID(p)).plan.sector == "metallurgy"
        )
    )
    assert project.plan.title == "Завод медных катодов"


def test_a_regional_file_read_plainly_is_refused_with_hints(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    regional = tmp_path / "portfolio.csv"
    regional.write_bytes(write(regionalised(canonical_rows()), ";").encode("cp1251"))
    refused = import_file(settings, regional)
    assert refused.exit_code == 1
    assert (
        f"{regional}:3: column amount: '3\\xa0400\\xa0000\\xa0000,00' is not a decimal amount"
        in refused.stderr
    )
    assert "decimal comma or spaced thousands: import with --number-format regional" in (
        refused.stderr
    )
    assert f"{regional}:2: column effective_date: '22.10.2024' is not a date" in refused.stderr
    assert "day.month.year date: import with --date-format regional" in refused.stderr
    assert f"{regional}:3: column jobs: '14\\xa0600' is not a whole number" in refused.stderr
    assert store.head() == 0

    half = import_file(settings, regional, "--number-format", "regional")
    assert half.exit_code == 1 and "--date-format regional" in half.stderr
    assert "--number-format" not in half.stderr.replace("--number-format regional (", "")

    plain = tmp_path / "plain.csv"
    plain.write_text(write(canonical_rows()), encoding="utf-8")
    wrong_way = import_file(settings, plain, *REGIONAL)
    assert wrong_way.exit_code == 1
    assert (
        f"{plain}:2: column effective_date: '2024-10-22' is not a date in the regional form"
        in wrong_way.stderr
    )
    assert f"{plain}:3: column amount: '3400000000.00' is not a number in the regional" in (
        wrong_way.stderr
    )
    assert store.head() == 0


def test_a_latin1_byte_is_not_taken_for_cyrillic(store: Store) -> None:
    text = TEMPLATE.read_text(encoding="utf-8").replace("–", "-")
    data = text.replace("Copper cathode plant", "Usine dé cathodes").encode("latin-1")
    with pytest.raises(ImportRejected) as refused:
        store.load(data)
    assert [(e.line, e.message.split(" (")[0]) for e in refused.value.errors] == [
        (4, "the file is not UTF-8 text")
    ]
    assert "--encoding cp1251" in refused.value.errors[0].message
    named = store.load(data, FileFormat("csv", encoding="latin-1"))
    assert named.file_format.encoding == "latin-1"
    assert named.events_recorded == len(canonical_rows())
    store.projector.catch_up()
    titles = {store.tracker.project(UUID(p)).plan.title for p in project_ids(store.engine, PF)}
    assert "Usine dé cathodes" in titles


def typed_workbook(rows: list[dict[str, str]], path: Path, sheet: str = "Лист1") -> None:
    """The rows as a person types them into Excel: numbers, dates and flags typed (a date
    that is not ISO stays text, as a cell Excel did not recognise)."""
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    assert worksheet is not None
    worksheet.title = sheet
    worksheet.append(list(COLUMNS))
    for row in rows:
        values: list[Any] = []
        for column in COLUMNS:
            value: Any = row.get(column) or None
            if value is not None and column in DATE_COLUMNS and "-" in value:
                value = date.fromisoformat(value)
            elif value is not None and (column in INT_COLUMNS or column in AMOUNT_COLUMNS):
                value = float(value) if "." in value else int(value)
            elif value == "true":
                value = True
            values.append(value)
        worksheet.append(values)
    workbook.save(path)


def test_an_xlsx_workbook_is_the_same_rows_as_the_canonical_csv(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    rows = canonical_rows()
    book = tmp_path / "portfolio.xlsx"
    typed_workbook(rows, book)
    first = import_file(settings, book)
    assert first.exit_code == 0, first.output
    assert "as XLSX, sheet 'Лист1'" in first.output
    canonical = tmp_path / "canonical.csv"
    canonical.write_text(write(rows), encoding="utf-8")
    again = import_file(settings, canonical)
    assert f"0 events recorded, {len(rows)} rows already recorded" in again.output

    bad = tmp_path / "bad.xlsx"
    broken = [dict(r) for r in rows]
    broken[4]["currency"] = "usd"
    broken[6]["effective_date"] = "31.04.2025"
    typed_workbook(broken, bad)
    refused = import_file(settings, bad)
    assert refused.exit_code == 1
    assert f"{bad}, sheet 'Лист1':6: column currency: 'usd'" in refused.stderr
    assert f"{bad}, sheet 'Лист1':8: column effective_date: '31.04.2025'" in refused.stderr
    regional = import_file(settings, bad, *REGIONAL)
    assert "'31.04.2025' is not a date in the regional form" in regional.stderr


def test_an_xlsx_export_imports_into_an_empty_database_with_the_same_reports(
    store: Store, empty_twin: Store, tmp_path: Path
) -> None:
    portfolio = build_portfolio(store.tracker)
    store.give_rates(portfolio)
    store.projector.catch_up()
    hub = next(
        p.id
        for p in (store.tracker.project(UUID(i)) for i in project_ids(store.engine, portfolio))
        if p.plan.title == "Logistics hub"
    )
    store.load(extra_rows(portfolio, hub))
    workbook = store.export(portfolio, "xlsx")
    report = empty_twin.load(workbook, "xlsx")
    assert report.file_format.sheet == "Rows"
    assert report.events_recorded == empty_twin.head() > 0
    assert events_besides_rate_sets(empty_twin) == events_besides_rate_sets(store)
    for as_of in (None, date(2025, 3, 10), date(2025, 12, 31)):
        assert every_report(empty_twin, portfolio, as_of) == every_report(store, portfolio, as_of)
    assert empty_twin.load(workbook, "xlsx").events_recorded == 0
    assert empty_twin.export(portfolio, "csv") == store.export(portfolio, "csv")


def test_a_csv_export_with_a_byte_order_mark_opens_as_utf8_and_imports_back(
    store: Store, empty_twin: Store, settings: Settings, tmp_path: Path
) -> None:
    store.load(write(canonical_rows()))
    portfolio = portfolio_id_for("kz-uz-2024")
    out = tmp_path / "export.csv"
    env = cli_env(settings)
    args = ["export", "--portfolio", str(portfolio), "--format", "csv", "-o", str(out)]
    exported = CliRunner().invoke(main, [*args, "--bom"], env=env)
    assert exported.exit_code == 0, exported.output
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfrow_id,type,")
    assert data[3:] == store.export(portfolio, "csv")
    assert "Завод медных катодов".encode() in data
    copied = import_file(empty_twin.settings, out)
    assert copied.exit_code == 0, copied.output
    assert "as CSV, utf-8-sig, comma-separated" in copied.output
    assert empty_twin.export(portfolio, "csv") == data[3:]
    not_csv = CliRunner().invoke(
        main, ["export", "--portfolio", str(portfolio), "--format", "json", "--bom"], env=env
    )
    assert not_csv.exit_code == 2 and "csv export only" in not_csv.stderr


def test_what_was_read_is_said_in_the_readers_language(settings: Settings, tmp_path: Path) -> None:
    regional = tmp_path / "portfolio.csv"
    regional.write_bytes(write(regionalised(canonical_rows()), ";").encode("cp1251"))
    said = CliRunner().invoke(
        main,
        ["--lang", "ru", "import", str(regional), "--dry-run", *REGIONAL],
        env=cli_env(settings),
    )
    assert said.exit_code == 0, said.output
    assert (
        f"{regional} прочитан как CSV, cp1251, через точку с запятой, числа вида 1 500 000,00, "
        "даты вида 31.03.2025" in said.output
    )
