"""An interrupted import tells how far it got, on both databases: the status of a file says
what is recorded, a rerun records the rest exactly once, and ``tracker import --status`` says
so on the command line."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from tests.integration.transfer_store import DESK, TEMPLATE, Store, cli_env, store, stored
from tracker.cli import main
from tracker.settings import Settings
from tracker.transfer.importer import import_rows
from tracker.transfer.status import import_status

__all__ = ["store"]  # the fixture, used by name


# 4. An interrupted import: how far it got, and a rerun records the rest exactly once


def test_the_status_of_a_file_tells_what_is_recorded_and_a_rerun_records_the_rest_once(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "template.csv"
    path.write_bytes(TEMPLATE.read_bytes())
    lines = TEMPLATE.read_text().splitlines(keepends=True)
    store.load("".join(lines[:7]))  # an import interrupted after its first batch: 6 rows
    status = import_status(store.tracker, path, "csv")
    assert (status.rows, status.recorded, status.not_recorded, status.changed) == (15, 6, 9, 0)
    assert status.first_not_recorded == 8

    rerun = import_rows(store.tracker, path, "csv", DESK)
    assert (rerun.events_recorded, rerun.already_recorded) == (9, 6)
    keys = [key for key, _, _ in stored(store)]
    assert len(keys) == len(set(keys)) == 15  # every row exactly once
    done = import_status(store.tracker, path, "csv")
    assert (done.recorded, done.not_recorded, done.first_not_recorded) == (15, 0, None)

    changed = tmp_path / "changed.csv"
    changed.write_text(TEMPLATE.read_text().replace(",20000000.00,USD", ",21000000.00,USD"))
    assert import_status(store.tracker, changed, "csv").changed == 1


def test_tracker_import_status_on_the_command_line(
    store: Store, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "template.csv"
    path.write_bytes(TEMPLATE.read_bytes())
    lines = TEMPLATE.read_text().splitlines(keepends=True)
    store.load("".join(lines[:5]))
    runner = CliRunner()
    env = cli_env(settings)
    status = runner.invoke(main, ["import", "--status", str(path)], env=env)
    assert status.exit_code == 0, status.output
    assert f"{path}: 15 rows; 4 recorded, 11 not recorded (the first on line 6)" in status.stdout
    assert store.head() == 4  # --status records nothing
    assert runner.invoke(main, ["import", str(path)], env=env).exit_code == 0
    done = runner.invoke(main, ["import", "--status", str(path)], env=env)
    assert f"{path}: 15 rows; 15 recorded, 0 not recorded" in done.stdout
    both = runner.invoke(main, ["import", "--status", "--dry-run", str(path)], env=env)
    assert both.exit_code == 2
