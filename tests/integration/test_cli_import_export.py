"""``tracker import`` and ``tracker export`` on the command line, on both databases: a dry
run, the import, again, the exports; and errors one line each with their exit codes."""

from __future__ import annotations

import uuid
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.integration.transfer_store import TEMPLATE, Store, cli_env, store
from tracker.cli import main
from tracker.readmodel import tables as t
from tracker.settings import Settings
from tracker.transfer.columns import COLUMNS
from tracker.transfer.references import portfolio_id_for, project_id_for

__all__ = ["store"]  # the fixture, used by name


# The command line


def test_tracker_import_and_export_on_the_command_line(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    runner = CliRunner()
    env = cli_env(settings)
    dry = runner.invoke(main, ["import", str(TEMPLATE), "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert "line       4  announced       cu-1" in dry.stdout
    assert "15 rows would be recorded, 0 already recorded" in dry.stdout
    assert store.head() == 0

    done = runner.invoke(main, ["import", str(TEMPLATE), "--actor", "ministry desk"], env=env)
    assert done.exit_code == 0, done.output
    assert "15 events recorded" in done.stdout
    assert store.tracker.project(project_id_for("copper-plant")).version == 10
    with store.engine.connect() as conn:  # the read model caught up
        assert conn.execute(select(func.count()).select_from(t.projects)).scalar_one() == 2
    events = store.tracker.project_history(project_id_for("logistics-hub"))
    assert {e.event.actor for e in events} == {"ministry desk"}

    again = runner.invoke(main, ["import", str(TEMPLATE)], env=env)
    assert again.exit_code == 0 and "0 events recorded, 15 rows already recorded" in again.stdout

    target = tmp_path / "out.xlsx"
    portfolio = str(portfolio_id_for("kz-uz-2024"))
    exported = runner.invoke(
        main, ["export", "--portfolio", portfolio, "--format", "xlsx", "-o", str(target)], env=env
    )
    assert exported.exit_code == 0, exported.output
    assert load_workbook(target).sheetnames[:2] == ["Projects", "Events"]
    as_csv = runner.invoke(main, ["export", "--portfolio", portfolio, "--format", "csv"], env=env)
    assert as_csv.exit_code == 0
    assert as_csv.stdout.splitlines()[0] == ",".join(COLUMNS)
    assert len(as_csv.stdout.splitlines()) == 16


def test_command_line_errors_are_one_line_each_with_exit_codes(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    runner = CliRunner()
    env = cli_env(settings)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        TEMPLATE.read_text().replace("2025-04-01", "2025-04-31").replace(",KZT,", ",kzt,")
    )
    refused = runner.invoke(main, ["import", str(bad)], env=env)
    assert refused.exit_code == 1
    assert f"{bad}:7: column currency: 'kzt' is not an ISO 4217 currency code" in refused.stderr
    assert f"{bad}:9: column effective_date: '2025-04-31' is not a date" in refused.stderr
    assert "nothing was recorded; rows with errors: 2, errors: 2" in refused.stderr
    assert "Traceback" not in refused.output
    assert store.head() == 0

    other = tmp_path / "rows.ods"
    other.write_text("row_id,type\n")
    wrong_kind = runner.invoke(main, ["import", str(other)], env=env)
    assert wrong_kind.exit_code == 2 and "must end in .csv, .tsv, .txt, .json, .xlsx" in (
        wrong_kind.stderr
    )

    unknown = runner.invoke(
        main, ["export", "--portfolio", str(uuid.uuid4()), "--format", "json"], env=env
    )
    assert unknown.exit_code == 1 and "there is no portfolio" in unknown.stderr
    as_of = runner.invoke(
        main,
        ["export", "--portfolio", str(uuid.uuid4()), "--format", "csv", "--as-of", "2025-01-01"],
        env=env,
    )
    assert as_of.exit_code == 2 and "takes no as_of" in as_of.stderr
    assert "Traceback" not in unknown.output + as_of.output
