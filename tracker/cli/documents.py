"""``tracker documents``: the register of signed documents, as of a day and as known then."""

from __future__ import annotations

import sys
from datetime import date, datetime
from uuid import UUID

import click
from rich.console import Console
from rich.table import Table

from tracker.cli import err, known_at_option, load_settings, open_tracker
from tracker.i18n import N_
from tracker.readmodel.documents import (
    DocumentFilter,
    DocumentRow,
    document_register,
    document_then,
    list_documents,
)
from tracker.readmodel.projector import Projector
from tracker.readmodel.totals import Total

out = Console(soft_wrap=True)
#: The most documents ``list`` prints (a forum signs tens, not thousands).
MAX_LISTED = 5000


def _moment(
    as_of: datetime | None, known_at: datetime | None
) -> tuple[date | None, datetime | None]:
    """The day and the moment asked for."""
    return (as_of.date() if as_of else None), known_at


def _value(row: DocumentRow) -> str:
    return "–" if row.currency is None else f"{row.value_amount:,.2f} {row.currency}"


def _total(total: Total) -> str:
    text = f"{total.amount:,.2f} {total.currency}"
    for item in sorted(total.unconverted.values(), key=lambda u: u.currency):
        text += f" + {item.amount:,} {item.currency} unconverted ({item.count})"
    return text


@click.group(help=N_("The register of signed documents (agreements, memoranda, roadmaps, …)."))
def documents() -> None:
    pass


@documents.command(
    "list",
    help=N_(
        "The portfolio's documents, newest signature first, then the register's count and sum."
    ),
)
@click.option(
    "--portfolio", "portfolio_id", type=click.UUID, required=True, help=N_("Portfolio id.")
)
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), help=N_("Effective date (YYYY-MM-DD)."))
@known_at_option
@click.option("--currency", default="USD", show_default=True, help=N_("Currency of the sum."))
def list_command(
    portfolio_id: UUID, as_of: datetime | None, known_at: datetime | None, currency: str
) -> None:
    day, moment = _moment(as_of, known_at)
    with open_tracker(load_settings()) as (tracker, engine):
        Projector(tracker, engine).catch_up()
        with engine.connect() as conn:
            page = list_documents(
                conn,
                DocumentFilter(portfolio_id=portfolio_id),
                as_of=day,
                known_at=moment,
                limit=MAX_LISTED,
            )
            register = document_register(conn, portfolio_id, day, moment, currency.upper())
    when = f"as of {day or date.today()}" + (f", as known at {moment}" if moment else "")
    table = Table("id", "signed", "kind", "title", "status", "value", title=f"Documents {when}")
    for row in page.rows:
        table.add_row(
            row.document_id, str(row.signed_on), row.kind, row.title, row.status, _value(row)
        )
    out.print(table)
    out.print(
        f"{register.count} documents ({register.with_value} stating a value), "
        f"together {_total(register.total)}; a document's value is not investment delivered"
    )


@documents.command(
    "show", help=N_("One document as it was at the moment, and its events as recorded by then.")
)
@click.argument("document_id", type=click.UUID)
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), help=N_("Effective date (YYYY-MM-DD)."))
@known_at_option
def show(document_id: UUID, as_of: datetime | None, known_at: datetime | None) -> None:
    day, moment = _moment(as_of, known_at)
    with open_tracker(load_settings()) as (tracker, engine):
        Projector(tracker, engine).catch_up()
        with engine.connect() as conn:
            row = document_then(conn, document_id, as_of=day, known_at=moment)
        events = tracker.recorded_events(document_id, known_at=moment)
    if row is None:
        err.print(f"[red]error:[/red] there is no document {document_id} at that moment")
        sys.exit(1)
    out.print(f"[bold]{row.title}[/bold] ({row.kind}, {row.status})")
    out.print(f"signed {row.signed_on}" + (f" at {row.forum}" if row.forum else ""))
    out.print(f"parties: {'; '.join(row.parties) or '–'}")
    out.print(f"value: {_value(row)}" + (f" (stated {row.value_date})" if row.value_date else ""))
    out.print(f"projects: {' '.join(row.projects) or '–'}")
    if row.source_title:
        out.print(
            f"source: {row.source_title}" + (f" <{row.source_url}>" if row.source_url else "")
        )
    table = Table("version", "type", "effective", "recorded", "actor", "reason")
    for stored in events:
        event = stored.event
        table.add_row(
            str(stored.version),
            stored.kind,
            str(event.effective_date),
            f"{event.timestamp:%Y-%m-%d %H:%M:%S}",
            event.actor,
            getattr(event, "reason", "") or "",
        )
    out.print(table)
