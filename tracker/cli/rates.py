"""``tracker rates``: rate sets, official rate files, and the sets a portfolio converts with."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import click
from rich.console import Console
from rich.table import Table

from tracker.cli import err, error_line, load_settings, open_tracker
from tracker.cli.transfer import login_name
from tracker.domain.errors import TrackerError
from tracker.domain.values import Envelope, Source
from tracker.i18n import N_, gettext, ngettext, said
from tracker.readmodel.fx import rate_sets
from tracker.readmodel.projector import Projector
from tracker.transfer.errors import ImportRejected
from tracker.transfer.rate_file import import_rate_file


def today_envelope(source_title: str | None = None, source_url: str | None = None) -> Envelope:
    """What the command line records: by the login user, effective today."""
    today = datetime.now(UTC).date()
    source = Source(source_title, source_url) if source_title else None
    return Envelope(login_name(), today, source, today=today)


def _fail(error: TrackerError) -> None:
    if isinstance(error, ImportRejected):
        for row in error.errors:
            where = gettext(
                "line %(line)s, column %(column)s", line=row.line, column=row.column or "-"
            )
            err.print(f"{where}: {row.say(gettext)}")
    err.print(error_line(said(error)))
    sys.exit(1)


@click.group(help=N_("Rate sets: named sources of exchange rates, each rate an event."))
def rates() -> None:
    pass


@rates.command("list", help=N_("List the rate sets."))
def list_sets() -> None:
    with open_tracker(load_settings()) as (_, engine), engine.connect() as conn:
        found = rate_sets(conn)
    table = Table(gettext("id"), gettext("name"), gettext("illustrative"), gettext("established"))
    for row in found:
        table.add_row(
            row.rate_set_id,
            row.name,
            gettext("yes") if row.illustrative else "",
            f"{row.recorded_at:%Y-%m-%d %H:%M}",
        )
    Console().print(table)


@rates.command("establish", help=N_("Establish a rate set and print its id."))
@click.argument("name")
@click.option("--illustrative", is_flag=True, help=N_("Its rates are not official ones."))
def establish(name: str, illustrative: bool) -> None:
    with open_tracker(load_settings()) as (tracker, engine):
        try:
            recorded = tracker.establish_rate_set(name, today_envelope(), illustrative=illustrative)
        except TrackerError as error:
            _fail(error)
        Projector(tracker, engine).catch_up()
    click.echo(recorded.id)


@rates.command(
    "import", help=N_("Publish an official rate file (docs/rates.md): all its rates, or none.")
)
@click.argument("rate_set_id", type=click.UUID)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source-title", help=N_("Where the rates come from (e.g. the bank's name)."))
@click.option("--source-url", help=N_("Its address."))
def import_file(
    rate_set_id: UUID, path: Path, source_title: str | None, source_url: str | None
) -> None:
    with open_tracker(load_settings()) as (tracker, engine), path.open("rb") as stream:
        try:
            done = import_rate_file(
                tracker, rate_set_id, stream, str(path), today_envelope(source_title, source_url)
            )
        except TrackerError as error:
            _fail(error)
        Projector(tracker, engine).catch_up()
    click.echo(
        gettext(
            "%(path)s: %(rates)s rates, %(new)s new",
            path=path,
            rates=done.rates_in_file,
            new=done.rates_new,
        )
    )


@rates.command(
    "choose",
    help=N_("Name the rate sets a portfolio converts with, preferred first (none: no conversion)."),
)
@click.argument("portfolio_id", type=click.UUID)
@click.argument("rate_set_ids", type=click.UUID, nargs=-1)
def choose(portfolio_id: UUID, rate_set_ids: tuple[UUID, ...]) -> None:
    with open_tracker(load_settings()) as (tracker, engine):
        try:
            tracker.choose_rate_sets(portfolio_id, list(rate_set_ids), today_envelope())
        except TrackerError as error:
            _fail(error)
        Projector(tracker, engine).catch_up()
    said = ngettext(
        "portfolio %(id)s converts with %(num)s rate set",
        "portfolio %(id)s converts with %(num)s rate sets",
        len(rate_set_ids),
        id=portfolio_id,
    )
    click.echo(said)
