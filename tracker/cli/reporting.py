"""``tracker demo`` and ``tracker report``."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from uuid import UUID

import click
import msgspec
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import select

from tracker.cli import err, load_settings, open_tracker
from tracker.demo import load_demo
from tracker.readmodel import reports
from tracker.readmodel import tables as t
from tracker.readmodel.projector import Projector
from tracker.readmodel.reports import ReportQuery, Total

out = Console()


@click.command()
@click.option("--if-empty", is_flag=True, help="Load only into a database with no events yet.")
def demo(if_empty: bool) -> None:
    """Load the Kazakhstan–Uzbekistan demo portfolio: the projects and statements of the
    public record with their sources, and illustrative projects filling the rest.

    Safe to repeat: a second run records nothing new.
    """
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


def _money(total: Total) -> str:
    text = f"{total.amount:,.2f} {total.currency}"
    for item in total.unconverted.values():
        text += f"\n+ {item.amount:,} {item.currency} unconverted ({item.count})"
    return text


def _ratio(value: object) -> str:
    return "–" if value is None else f"{float(str(value)) * 100:.1f} %"


@click.command()
@click.option("--portfolio", "portfolio_id", type=click.UUID, help="Default: the only portfolio.")
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), help="Effective date (YYYY-MM-DD).")
@click.option("--known-at", type=click.DateTime(), help="What had been recorded by then (UTC).")
@click.option("--currency", default="USD", show_default=True, help="Report currency.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")
def report(
    portfolio_id: UUID | None,
    as_of: datetime | None,
    known_at: datetime | None,
    currency: str,
    as_json: bool,
) -> None:
    """Progress of a portfolio against its pledge."""
    settings = load_settings()
    with open_tracker(settings) as (tracker, engine):
        Projector(tracker, engine).catch_up()
        with engine.connect() as conn:
            if portfolio_id is None:
                ids = conn.execute(select(t.portfolios.c.portfolio_id)).scalars().all()
                if len(ids) != 1:
                    err.print(
                        f"[red]error:[/red] {len(ids)} portfolios; choose one with --portfolio"
                    )
                    sys.exit(2)
                portfolio_id = UUID(ids[0])
            query = ReportQuery(
                portfolio_id,
                as_of.date() if as_of else None,
                known_at.replace(tzinfo=UTC) if known_at else None,
                currency.upper(),
            )
            progress = reports.progress(conn, query)
    if as_json:
        click.echo(json.dumps(msgspec.to_builtins(progress), indent=2, default=str))
        return
    _print(progress, portfolio_id)


def _print(progress: reports.Progress, portfolio_id: UUID) -> None:
    figures, targets = progress.figures, progress.targets
    moment = progress.query.as_of or date.today()
    table = Table(title=f"Portfolio {portfolio_id} as of {moment}", show_lines=False)
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    table.add_column("of target", justify="right")
    pledge = (
        f"{targets.investment_converted:,.2f} {progress.query.currency}"
        if targets and targets.investment_converted is not None
        else "–"
    )
    table.add_row("pledged (planned)", _money(figures.pledged), pledge, "")
    table.add_row("committed", _money(figures.committed), pledge, _ratio(progress.ratios.committed))
    table.add_row("disbursed", _money(figures.disbursed), pledge, _ratio(progress.ratios.disbursed))
    jobs = figures.jobs_permanent + figures.jobs_temporary
    table.add_row(
        "jobs created",
        f"{jobs:,} ({figures.jobs_permanent:,} permanent)",
        f"{targets.jobs:,}" if targets else "–",
        _ratio(progress.ratios.jobs),
    )
    table.add_row(
        "projects",
        f"{figures.project_count}",
        f"{targets.projects}" if targets else "–",
        _ratio(progress.ratios.projects),
    )
    for status, count in sorted(figures.projects_by_status.items()):
        table.add_row(f"  {status}", str(count), "", "")
    out.print(table)
    if targets:
        out.print(f"targets in force since {targets.effective_date}: {targets.source_title or ''}")
    if progress.rates_used:
        sets = sorted(
            {
                r.rate_set + (" (illustrative)" if r.illustrative else "")
                for r in progress.rates_used
            }
        )
        out.print(f"{len(progress.rates_used)} exchange rates used, from: {'; '.join(sets)}")
    elif not progress.rate_sets:
        out.print("this portfolio names no rate set: amounts in other currencies are unconverted")
