"""``tracker report`` and ``tracker portfolios list``: the API's reads on the command line.

They live beside the API, not in the core's CLI, because they print the API's own bodies:
``--json`` is exactly what ``GET /api/v1/portfolios/{id}/progress`` (``/breakdown``,
``/timeline``) and ``GET /api/v1/portfolios`` answer for the same question, made by the same
checks (:func:`api.params.report_query`), presenters and encoder; the tables show those
bodies to a person.

Exit codes: 0 ok, 1 the database is unreachable or not migrated, 2 a usage error (an
unknown portfolio, a bad currency, a moment outside the readable dates, …).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import NoReturn
from uuid import UUID

import click
import msgspec
from litestar.exceptions import ValidationException
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from api import schemas as s
from api.conditions import read_moment, today_utc
from api.params import report_query
from api.presenters.portfolios import portfolio_page_out
from api.presenters.reports import breakdown_out, progress_out, timeline_out
from tracker.cli import known_at_option
from tracker.cli.projections import fail, opened, ready_settings
from tracker.domain.errors import TrackerError
from tracker.readmodel import reports
from tracker.readmodel.portfolio_list import PortfolioPage, PortfolioRow, list_portfolios
from tracker.readmodel.service import ReadModel

out = Console(soft_wrap=True)
#: Portfolios read per page when the CLI lists them all.
PAGE = 500
AS_OF = click.option(
    "--as-of", type=click.DateTime(["%Y-%m-%d"]), help="Effective date (YYYY-MM-DD)."
)
JSON = click.option(
    "--json", "as_json", is_flag=True, help="Print the API's JSON body for the same question."
)


def print_json(body: msgspec.Struct) -> None:
    """A body as the API encodes it (indented for a person reading it)."""
    click.echo(msgspec.json.format(msgspec.json.encode(body), indent=2).decode())


def all_portfolios(
    readmodel: ReadModel, as_of: date | None = None, known_at: datetime | None = None
) -> PortfolioPage:
    """Every portfolio at the moment, read page by page, as one page."""
    rows: list[PortfolioRow] = []
    cursor = None
    while True:
        page = readmodel.query(
            partial(list_portfolios, as_of=as_of, known_at=known_at, limit=PAGE, cursor=cursor)
        )
        rows += page.rows
        if page.next_cursor is None:
            return PortfolioPage(rows, None)
        cursor = page.next_cursor


def choices(rows: list[PortfolioRow]) -> str:
    """The portfolios to choose from, one per line: id and name."""
    return "".join(f"\n  {r.portfolio_id}  {r.name}" for r in rows)


def only_portfolio(readmodel: ReadModel) -> UUID:
    """The one portfolio there is, or exit 2 naming every one to choose from."""
    rows = all_portfolios(readmodel).rows
    if not rows:
        fail("there is no portfolio yet: load one with `tracker demo` or `tracker import`", 2)
    if len(rows) > 1:
        fail(f"{len(rows)} portfolios; choose one with --portfolio:{choices(rows)}", 2)
    return UUID(rows[0].portfolio_id)


def _refused(error: TrackerError | ValidationException) -> NoReturn:
    if isinstance(error, TrackerError):
        field = f"{error.field}: " if error.field else ""
        fail(f"{field}{error.detail}", 2)
    fail(str(error.detail), 2)


@click.command()
@click.option("--portfolio", "portfolio_id", type=click.UUID, help="Default: the only portfolio.")
@AS_OF
@known_at_option
@click.option("--currency", default="USD", show_default=True, help="Report currency.")
@click.option(
    "--fx",
    default="latest",
    show_default=True,
    help="`latest` (each amount at its value date) or `fixed:YYYY-MM-DD`.",
)
@click.option(
    "--layer",
    type=click.Choice(["all", "reported", "illustrative"]),
    default="all",
    show_default=True,
    help="Which projects count.",
)
@click.option("--by", type=click.Choice(reports.DIMENSIONS), help="Break the figures down.")
@click.option(
    "--timeline",
    "interval",
    type=click.Choice(reports.INTERVALS),
    help="Cumulative figures at the end of each month or quarter.",
)
@JSON
def report(
    portfolio_id: UUID | None,
    as_of: datetime | None,
    known_at: datetime | None,
    currency: str,
    fx: str,
    layer: str,
    by: str | None,
    interval: str | None,
    as_json: bool,
) -> None:
    """Progress of a portfolio against its pledge; --by a breakdown, --timeline a timeline.

    The figures are the API's (``/api/v1/portfolios/{id}/progress``, ``/breakdown``,
    ``/timeline``), and ``--json`` prints its body.
    """
    if by and interval:
        fail("--by and --timeline are two reports: ask for one", 2)
    settings = ready_settings()
    with opened(settings) as readmodel:
        readmodel.projector.catch_up()
        position = readmodel.wait_for(None)
        chosen = portfolio_id or only_portfolio(readmodel)
        try:
            query = report_query(
                readmodel.tracker,
                chosen,
                as_of.date() if as_of else None,
                known_at,
                currency.upper(),
                fx,
                layer,
            )
            body: s.ProgressOut | s.BreakdownOut | s.TimelineOut
            if by:
                found = readmodel.report(lambda c: reports.breakdown(c, query, by))
                body = breakdown_out(found, position)
            elif interval:
                today = today_utc().date()
                found_timeline = readmodel.report(
                    lambda c: reports.timeline(c, query, interval, today)
                )
                body = timeline_out(found_timeline, position)
            else:
                body = progress_out(
                    readmodel.report(lambda c: reports.progress(c, query)), position
                )
        except (TrackerError, ValidationException) as error:
            _refused(error)
    if as_json:
        print_json(body)
    elif isinstance(body, s.ProgressOut):
        print_progress(body)
    elif isinstance(body, s.BreakdownOut):
        print_breakdown(body)
    else:
        print_timeline(body)


@click.group()
def portfolios() -> None:
    """The portfolios there are."""


@portfolios.command("list")
@AS_OF
@known_at_option
@JSON
def list_command(as_of: datetime | None, known_at: datetime | None, as_json: bool) -> None:
    """Every portfolio (established by --as-of, as recorded by --known-at), the first
    established first; --json prints ``GET /api/v1/portfolios``'s body with every item."""
    settings = ready_settings()
    with opened(settings) as readmodel:
        readmodel.projector.catch_up()
        position = readmodel.wait_for(None)
        try:
            day, moment = read_moment(as_of.date() if as_of else None, known_at)
        except ValidationException as error:
            _refused(error)
        body = portfolio_page_out(all_portfolios(readmodel, day, moment), position, day, moment)
    if as_json:
        print_json(body)
        return
    table = Table(title="Portfolios")
    table.add_column("id", no_wrap=True, min_width=36)
    table.add_column("established", no_wrap=True)
    table.add_column("name", min_width=20)
    table.add_column("forum")
    for item in body.items:
        table.add_row(
            str(item.id),
            item.established_on.isoformat(),
            escape(item.name) + (" (illustrative)" if item.illustrative else ""),
            escape(item.forum),
        )
    out.print(table)
    if not body.items:
        out.print("no portfolio yet: load one with `tracker demo` or `tracker import`")


# The tables: a person's view of the same bodies.


def _amount(text: str) -> str:
    return f"{Decimal(text):,}"


def _total(total: s.TotalOut) -> str:
    text = f"{_amount(total.amount)} {total.currency}"
    for item in total.unconverted:
        text += f"\n+ {_amount(item.amount)} {item.currency} unconverted ({item.count})"
    return text


def _ratio(value: str | None) -> str:
    return "–" if value is None else f"{float(value) * 100:.1f} %"


def _moment(body: s.ProgressOut | s.BreakdownOut | s.TimelineOut) -> str:
    as_of = getattr(body, "as_of", None)
    text = f"as of {as_of or today_utc().date()}"
    return text + (f", as known at {body.known_at.isoformat()}" if body.known_at else "")


def _rates(body: s.ProgressOut | s.BreakdownOut | s.TimelineOut) -> None:
    if body.fx_rates_used:
        sets = sorted(
            {r.rate_set + (" (illustrative)" if r.illustrative else "") for r in body.fx_rates_used}
        )
        out.print(f"{len(body.fx_rates_used)} exchange rates used, from: {'; '.join(sets)}")
    elif not body.fx_rate_sets:
        out.print("this portfolio names no rate set: amounts in other currencies are unconverted")


def print_progress(body: s.ProgressOut) -> None:
    targets, ratios = body.targets, body.ratios
    table = Table(title=f"Portfolio {body.portfolio_id} {_moment(body)}")
    table.add_column("figure")
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("target", justify="right", no_wrap=True)
    table.add_column("of target", justify="right", no_wrap=True)
    converted = targets.investment_in_report_currency if targets else None
    pledge = f"{_amount(converted)} {body.currency}" if converted is not None else "–"
    table.add_row("pledged (planned)", _total(body.pledged), pledge, "")
    table.add_row("committed", _total(body.committed), pledge, _ratio(ratios.committed_to_target))
    table.add_row("disbursed", _total(body.disbursed), pledge, _ratio(ratios.disbursed_to_target))
    jobs = body.jobs_created
    table.add_row(
        "jobs created",
        f"{jobs.total:,} ({jobs.permanent:,} permanent)",
        f"{targets.jobs:,}" if targets else "–",
        _ratio(ratios.jobs_to_target),
    )
    table.add_row(
        "projects",
        str(body.projects),
        str(targets.projects) if targets else "–",
        _ratio(ratios.projects_to_target),
    )
    for status, count in body.projects_by_status.items():
        table.add_row(f"  {status}", str(count), "", "")
    out.print(table)
    if targets:
        source = targets.source.title if targets.source else ""
        out.print(f"targets in force since {targets.effective_date}: {escape(source)}")
    _rates(body)


def _figures_table(title: str, first: str, currency: str) -> Table:
    table = Table(title=title)
    table.add_column(first, min_width=16)
    table.add_column("projects", justify="right")
    for name in ("pledged", "committed", "disbursed"):
        table.add_column(f"{name} {currency}", justify="right", no_wrap=True)
    table.add_column("jobs", justify="right")
    return table


def _sum(total: s.TotalOut) -> str:
    """A total in a column headed by its currency; amounts left unconverted beneath."""
    lines = [_amount(total.amount)]
    lines += [f"+ {_amount(u.amount)} {u.currency}" for u in total.unconverted]
    return "\n".join(lines)


def _figures_row(table: Table, key: str, figures: s.FiguresOut) -> None:
    table.add_row(
        escape(key),
        str(figures.projects),
        _sum(figures.pledged),
        _sum(figures.committed),
        _sum(figures.disbursed),
        f"{figures.jobs_created.total:,}",
    )


def print_breakdown(body: s.BreakdownOut) -> None:
    title = f"Portfolio {body.portfolio_id} by {body.by} {_moment(body)}"
    table = _figures_table(title, body.by, body.currency)
    for item in body.slices:
        _figures_row(table, item.key, item.figures)
    out.print(table)
    _rates(body)


def print_timeline(body: s.TimelineOut) -> None:
    title = f"Portfolio {body.portfolio_id} by {body.interval} {_moment(body)}"
    table = _figures_table(title, body.interval, body.currency)
    for point in body.points:
        restated = " (targets restated)" if point.target_restated else ""
        _figures_row(table, f"{point.period}{restated}", point.figures)
    out.print(table)
    _rates(body)
