"""The JSON export describes itself (format, version, a JSON Schema shipped in the package)
and imports back: export → import into an empty database → the same reports, on SQLite and
PostgreSQL."""

from __future__ import annotations

import fnmatch
import json
import tomllib
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import jsonschema
import pytest

from tests.integration.round_trip import (
    build_portfolio,
    events_besides_rate_sets,
    every_report,
    extra_rows,
    project_ids,
)
from tests.integration.transfer_store import ROOT, Store, empty_twin, store
from tracker.transfer.errors import ImportRejected
from tracker.transfer.export_json import SCHEMA

__all__ = ["empty_twin", "store"]  # the fixtures, used by name


def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def full_portfolio(store: Store) -> UUID:
    """Every kind of event, rates, corrections and retractions, documents: the test
    portfolio of the csv round trip."""
    portfolio = build_portfolio(store.tracker)
    store.give_rates(portfolio)
    store.projector.catch_up()
    hub = next(
        p.id
        for p in (store.tracker.project(UUID(i)) for i in project_ids(store.engine, portfolio))
        if p.plan.title == "Logistics hub"
    )
    store.load(extra_rows(portfolio, hub))
    return portfolio


def test_the_schema_is_shipped_in_the_package() -> None:
    assert SCHEMA.is_file() and SCHEMA.name == "export-v1.json"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = project["tool"]["setuptools"]["package-data"]["tracker"]
    relative = SCHEMA.relative_to(ROOT / "tracker").as_posix()
    assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns)


def test_every_json_export_is_valid_against_its_schema(store: Store) -> None:
    portfolio = full_portfolio(store)
    check = validator()
    moment = datetime.now(UTC)
    for query in ({}, {"as_of": date(2025, 3, 10)}, {"known_at": moment}):
        document = json.loads(store.export(portfolio, "json", **query))
        errors = [f"{e.json_path}: {e.message}" for e in check.iter_errors(document)]
        assert errors == [], query
        assert document["format"] == "cooperation-tracker-export"
        assert document["format_version"] == 1
        assert document["rows"] and document["projects"]
    # the schema can fail: an amount as a JSON number, a row with an unknown column
    document["projects"][0]["planned_investment"]["amount"] = 1.5
    document["rows"][0]["colour"] = "red"
    paths = {e.json_path for e in check.iter_errors(document)}
    assert paths == {"$.projects[0].planned_investment.amount", "$.rows[0]"}


def test_a_json_export_imported_into_an_empty_database_gives_the_same_reports(
    store: Store, empty_twin: Store
) -> None:
    portfolio = full_portfolio(store)
    exported = store.export(portfolio, "json")
    report = empty_twin.load(exported, "json")
    assert report.events_recorded == empty_twin.head() > 0
    assert events_besides_rate_sets(empty_twin) == events_besides_rate_sets(store)
    for as_of in (None, date(2024, 12, 31), date(2025, 3, 10), date(2025, 7, 1)):
        before, after = (
            every_report(store, portfolio, as_of),
            every_report(empty_twin, portfolio, as_of),
        )
        for name, value in before.items():
            assert after[name] == value, f"{name} as of {as_of}"
    progress = every_report(store, portfolio, None)["progress"]
    assert progress.figures.project_count == 5 and progress.figures.committed.amount > 0
    # the copy exports the same rows, and importing again records nothing
    assert empty_twin.export(portfolio, "csv") == store.export(portfolio, "csv")
    assert empty_twin.load(exported, "json").events_recorded == 0


def test_titles_in_other_languages_travel_with_the_export(store: Store, empty_twin: Store) -> None:
    portfolio = full_portfolio(store)
    exported = json.loads(store.export(portfolio, "json"))
    titles = {p["title"]: p["titles"] for p in exported["projects"]}
    assert titles["Solar park"] == {"ru": "Солнечный парк"}  # the later one
    assert titles["Logistics hub"] == {"uz": "Logistika markazi"}
    given = [r for r in exported["rows"] if r["type"] == "title_translated"]
    assert [(r["language"], r["title"]) for r in given] == [
        ("ru", "Солнечная станция"),
        ("ru", "Солнечный парк"),
        ("uz", "Logistika markazi"),
    ]
    empty_twin.load(json.dumps(exported).encode(), "json")
    again = json.loads(empty_twin.export(portfolio, "json"))
    assert {p["title"]: p["titles"] for p in again["projects"]} == titles


def test_an_export_whose_members_were_reordered_still_imports(
    store: Store, empty_twin: Store
) -> None:
    portfolio = full_portfolio(store)
    document = json.loads(store.export(portfolio, "json"))
    # key-sorted, as some tools rewrite JSON: "rows" now comes after "projects" and the rest,
    # which the importer skips a value at a time
    resorted = json.dumps(document, sort_keys=True, indent=1, ensure_ascii=False).encode()
    assert resorted.index(b'"rows"') > resorted.index(b'"projects"')
    report = empty_twin.load(resorted, "json")
    assert report.events_recorded == len(document["rows"]) == empty_twin.head()
    assert every_report(empty_twin, portfolio, None) == every_report(store, portfolio, None)


def refusal(store: Store, document: Any) -> tuple[int, str | None, str]:
    with pytest.raises(ImportRejected) as refused:
        store.load(json.dumps(document, indent=1).encode(), "json")
    (error,) = refused.value.errors
    return error.line, error.column, error.message


ROW = {"row_id": "p-1", "type": "portfolio", "portfolio_ref": "p", "title": "P", "forum": "F"}


def test_what_is_not_a_tracker_export_is_refused_naming_the_member(store: Store) -> None:
    assert refusal(store, {"format": "other", "format_version": 1, "rows": [ROW]}) == (
        2,
        "format",
        "'other' is not a format this tracker reads",
    )
    line, column, message = refusal(
        store, {"format": "cooperation-tracker-export", "format_version": 2, "rows": [ROW]}
    )
    assert (line, column) == (3, "format_version") and "versions 1 to 1" in message
    assert 'has no "rows"' in refusal(store, {"format": "cooperation-tracker-export"})[2]
    assert "before its rows" in refusal(store, {"rows": [ROW]})[2]
    nested: Any = "deep"
    for _ in range(100):
        nested = [nested]
    deep = {"format": "cooperation-tracker-export", "notes": nested, "rows": [ROW]}
    assert "nests too deeply" in refusal(store, deep)[2]
    assert store.head() == 0


def test_the_schema_file_is_the_documented_one() -> None:
    docs = (ROOT / "docs" / "import-format.md").read_text()
    assert "tracker/transfer/schema/export-v1.json" in docs
    assert "format_version" in docs
