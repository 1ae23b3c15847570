"""``tracker demo`` (``tracker report`` prints the API's bodies: api/reading_cli.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from rich.progress import Progress

from tracker.cli import err, load_settings, open_tracker
from tracker.demo import load_demo
from tracker.i18n import N_
from tracker.readmodel.projector import Projector


@click.command(
    help=N_(
        "Load the Kazakhstan–Uzbekistan demo portfolio: the projects and statements of the "
        "public record with their sources, and illustrative projects filling the rest.\n\n"
        "Safe to repeat: a second run records nothing new."
    )
)
@click.option("--if-empty", is_flag=True, help=N_("Load only into a database with no events yet."))
def demo(if_empty: bool) -> None:
    settings = load_settings()
    with open_tracker(settings) as (tracker, engine):
        if if_empty and tracker.recorder.max_notification_id():
            click.echo("the database already holds events; demo not loaded (--if-empty)")
            return
        with Progress(console=err, transient=True) as bar:
            task = bar.add_task("loading the demo's events", total=None)
            result = load_demo(
                tracker,
                datetime.now(UTC),
                lambda done, total: bar.update(task, completed=done, total=total),
            )
        position = Projector(tracker, engine).catch_up()
    click.echo(
        f"demo portfolio {result.portfolio_id}: {result.reported_projects} projects from public "
        f"reports and {result.illustrative_projects} illustrative ones, "
        f"{result.events_recorded} events recorded, {result.events_replayed} already there "
        f"(read model at position {position})"
    )
    click.echo(
        "reads are public; to record, create a key: "
        "tracker keys create --name my-desk --role recorder"
    )
