"""`tracker demo` and `tracker report` from the command line."""

from __future__ import annotations

import json

from click.testing import CliRunner

from api.cli import main
from tracker.settings import Settings


def env_of(settings: Settings) -> dict[str, str]:
    return {"TRACKER_DATABASE_URL": settings.database_url, "TRACKER_DB_SCHEMA": settings.db_schema}


def test_demo_then_report_in_a_table_and_as_json(settings: Settings) -> None:
    runner = CliRunner()
    env = env_of(settings)
    loaded = runner.invoke(main, ["demo"], env=env)
    assert loaded.exit_code == 0, loaded.output
    assert "24 projects from public reports and 55 illustrative ones" in loaded.output
    again = runner.invoke(main, ["demo", "--if-empty"], env=env)
    assert again.exit_code == 0 and "not loaded" in again.output

    table = runner.invoke(main, ["report"], env=env)
    assert table.exit_code == 0, table.output
    assert "committed" in table.output and "14,600" in table.output

    machine = runner.invoke(main, ["report", "--json", "--as-of", "2024-12-31"], env=env)
    assert machine.exit_code == 0, machine.output
    report = json.loads(machine.output)
    assert report["targets"]["projects"] == 74
    assert report["as_of"] == "2024-12-31"


def test_report_on_an_unmigrated_database_is_one_clear_line(blank_settings: Settings) -> None:
    result = CliRunner().invoke(main, ["report"], env=env_of(blank_settings))
    assert result.exit_code == 1
    assert "run `tracker migrate` first" in result.output
    assert "Traceback" not in result.output


def test_a_bad_database_url_exits_2() -> None:
    result = CliRunner().invoke(main, ["report"], env={"TRACKER_DATABASE_URL": "nonsense"})
    assert result.exit_code == 2
    assert "TRACKER_DATABASE_URL" in result.output
