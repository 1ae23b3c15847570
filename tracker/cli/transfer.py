"""``tracker import`` and ``tracker export``: bulk files in, portfolio files out."""

from __future__ import annotations

import getpass
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import click
from eventsourcing.persistence import PersistenceError
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.exc import SQLAlchemyError

from tracker.cli import err, known_at_option, load_settings, open_tracker
from tracker.domain.errors import TrackerError
from tracker.i18n import N_, gettext, said
from tracker.integrity.signing import Signer, SigningKeyError
from tracker.readmodel.projector import Projector
from tracker.settings import Settings
from tracker.transfer.errors import ImportForbidden, ImportRejected
from tracker.transfer.export import FORMATS, Format, export_portfolio
from tracker.transfer.file_format import (
    DATE_FORMATS,
    NUMBER_FORMATS,
    DateFormat,
    FileFormat,
    NumberFormat,
    check_encoding,
    file_kind,
)
from tracker.transfer.importer import Importer, ImportReport, import_rows
from tracker.transfer.portfolio_export import ExportQuery
from tracker.transfer.status import ImportStatus, import_status

#: Events applied to the read model between two progress updates after an import.
CATCH_UP_STEP = 5000


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    sys.exit(code)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
        disable=not err.is_terminal,
    )


@click.command(
    "import",
    help=N_(
        "Import projects and their events from FILE (.csv, .txt, .json or .xlsx; see "
        "docs/import-format.md).\n\n"
        "A CSV's encoding and separator (comma, semicolon or tab) are found from the file and "
        "said; regional numbers and dates are read only with --number-format / --date-format. "
        "Every row is checked first; one bad row and nothing is recorded (every bad row is "
        "listed as FILE:LINE: column: message). Then the rows are recorded in batches of "
        "5,000, one transaction each: an interrupted import leaves the first batches "
        "recorded, and importing the same file again records the rest, exactly once (--status "
        "shows how far it got)."
    ),
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--dry-run",
    is_flag=True,
    help=N_("Check every row and say what would be recorded; record nothing."),
)
@click.option(
    "--status",
    is_flag=True,
    help=N_(
        "Say how many of FILE's rows are already recorded and how many are not (after an "
        "interrupted import, say); record nothing."
    ),
)
@click.option(
    "--actor",
    default=None,
    help=N_("Who is recorded on rows whose actor cell is blank (default: your login name)."),
)
@click.option(
    "--encoding",
    default=None,
    help=N_(
        "A CSV's text encoding, e.g. cp1251 (default: found from the file: UTF-8, UTF-16 "
        "with its byte-order mark, or else cp1251)."
    ),
)
@click.option(
    "--number-format",
    type=click.Choice(NUMBER_FORMATS),
    default="plain",
    show_default=True,
    help=N_(
        "regional: amounts written 1 500 000,00 and counts 14 600 (decimal comma, spaced "
        "thousands), in every cell of the file."
    ),
)
@click.option(
    "--date-format",
    type=click.Choice(DATE_FORMATS),
    default="iso",
    show_default=True,
    help=N_("regional: dates written 31.03.2025 (day.month.year), in every cell of the file."),
)
def import_command(
    file: Path,
    dry_run: bool,
    status: bool,
    actor: str | None,
    encoding: str | None,
    number_format: NumberFormat,
    date_format: DateFormat,
) -> None:
    try:
        kind = FileFormat(
            file_kind(file.name),
            encoding=check_encoding(encoding) if encoding else None,
            number_format=number_format,
            date_format=date_format,
        )
    except TrackerError as error:
        _fail(said(error), 2)
        return
    if status and dry_run:
        _fail("--status and --dry-run do not go together: --status records nothing anyway", 2)
        return
    settings = load_settings()
    if status:
        _print_status(_status(settings, file, kind))
        return
    importer = Importer(actor=(actor or login_name()).strip() or "import")
    with open_tracker(settings) as (tracker, engine), _progress() as bar:
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done)

        try:
            report = import_rows(
                tracker,
                file,
                kind,
                importer,
                source=str(file),
                dry_run=dry_run,
                progress=progress,
            )
            position = None if dry_run else _catch_up(Projector(tracker, engine), bar)
        except (ImportRejected, ImportForbidden) as error:
            bar.stop()
            _refuse(file, error)
            return
        except TrackerError as error:
            bar.stop()
            _fail(f"{file}: {said(error)}")
            return
        except (PersistenceError, SQLAlchemyError) as error:
            bar.stop()
            _fail(f"{file}: {_database_failed(error)}")
            return
    try:
        _print_report(report, position)
    finally:
        report.close()


def _database_failed(error: Exception) -> str:
    return f"the database failed: {error.__class__.__name__}: {error}"


def _refuse(file: Path, error: ImportRejected | ImportForbidden) -> None:
    """Every bad row as FILE:LINE: column: message (FILE, sheet 'S':ROW: … for a workbook),
    then the refusal; exits."""
    for row_error in error.errors:
        column = f" column {row_error.column}:" if row_error.column else ""
        err.print(
            f"{error.source}:{row_error.line}:{column} {row_error.say(gettext)}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    _fail(said(error))


def _status(settings: Settings, file: Path, kind: FileFormat) -> ImportStatus:
    with open_tracker(settings) as (tracker, _):
        try:
            return import_status(tracker, file, kind, source=str(file))
        except ImportRejected as error:
            _refuse(file, error)
            raise  # not reached: _refuse exits
        except (PersistenceError, SQLAlchemyError) as error:
            _fail(f"{file}: {_database_failed(error)}")
            raise  # not reached


def _print_status(status: ImportStatus) -> None:
    first = status.first_not_recorded
    where = f" (the first on line {first})" if first is not None else ""
    text = (
        f"{status.source}: {status.rows} rows; {status.recorded} recorded, "
        f"{status.not_recorded} not recorded{where}"
    )
    if status.changed:
        text += (
            f"; {status.changed} recorded with other values (the first on line "
            f"{status.first_changed}): give a changed row a new row_id"
        )
    click.echo(text)


def _catch_up(projector: Projector, bar: Progress) -> int:
    """Bring the read model up to date, showing how far it got."""
    start, head = projector.applied_position(), projector.head_position()
    task = bar.add_task("updating read model", total=max(head - start, 1))
    position = start
    while position < head:
        position = projector.catch_up(until=min(position + CATCH_UP_STEP, head))
        bar.update(task, completed=position - start)
    position = projector.catch_up()
    projector.refresh_statistics()
    bar.update(task, completed=max(head - start, 1))
    return position


def _print_report(report: ImportReport, position: int | None) -> None:
    if report.file_format is not None:
        described = report.file_format.describe()
        click.echo(gettext("read %(file)s as %(format)s", file=report.source, format=described))
    if report.dry_run:
        for row in report.rows:
            click.echo(
                f"line {row.line:>7}  {row.type:<15} {row.row_id:<24} {row.ref:<24} {row.outcome}"
            )
        click.echo(
            f"dry run of {report.source}: {report.new} rows would be recorded, "
            f"{report.already_recorded} already recorded; nothing was recorded"
        )
        return
    rate = report.events_recorded / report.seconds if report.seconds else 0
    speed = f" ({rate:,.0f} events/s)" if report.events_recorded else ""
    click.echo(
        f"imported {report.source}: {report.events_recorded} events recorded, "
        f"{report.already_recorded} rows already recorded, in {report.seconds:.1f} s{speed}; "
        f"read model at position {position}"
    )


def login_name() -> str:
    """Who runs the command, recorded as the actor of what it records."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "import"


@click.command(
    "export",
    help=N_(
        "Export a portfolio's projects, figures and events (csv is the import format; iati "
        "needs the portfolio's reporting organisation: `tracker publisher set`)."
    ),
)
@click.option(
    "--portfolio", "portfolio_id", type=click.UUID, required=True, help=N_("Portfolio id.")
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True, help=N_("File format."))
@click.option(
    "--as-of",
    type=click.DateTime(["%Y-%m-%d"]),
    help=N_("Figures as of this effective date (YYYY-MM-DD); not for csv."),
)
@known_at_option
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help=N_("Write to this file (default: standard output; xlsx needs a file or a pipe)."),
)
@click.option(
    "--bom",
    is_flag=True,
    help=N_("csv: start with a UTF-8 byte-order mark, so that Excel opens it as UTF-8."),
)
def export_command(
    portfolio_id: UUID,
    fmt: Format,
    as_of: datetime | None,
    known_at: datetime | None,
    output: Path | None,
    bom: bool,
) -> None:
    if fmt == "xlsx" and output is None and sys.stdout.isatty():
        _fail("xlsx is a binary file: give -o FILE or redirect the output", 2)
    query = ExportQuery(portfolio_id, as_of.date() if as_of else None, known_at)
    settings = load_settings()
    try:
        signer = Signer.from_settings(settings)
    except SigningKeyError as error:
        _fail(str(error), 2)
        return
    with open_tracker(settings) as (tracker, engine):
        try:
            Projector(tracker, engine).catch_up()
            rendered = export_portfolio(tracker, engine, query, fmt, bom=bom, signer=signer)
        except TrackerError as error:
            _fail(said(error), 2 if error.field in ("as_of", "format", "bom") else 1)
            return
        except (PersistenceError, SQLAlchemyError) as error:
            _fail(_database_failed(error))
            return
    if output is None:
        sys.stdout.buffer.write(rendered.content)
        sys.stdout.buffer.flush()
        return
    output.write_bytes(rendered.content)
    err.print(f"wrote {output} ({len(rendered.content):,} bytes, {fmt})", highlight=False)
