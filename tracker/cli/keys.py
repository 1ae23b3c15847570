"""``tracker keys``: create, list and revoke API keys."""

from __future__ import annotations

import sys
from uuid import UUID

import click
from rich.console import Console
from rich.table import Table

from tracker.cli import err, error_line, load_settings, open_tracker
from tracker.domain.errors import TrackerError
from tracker.i18n import N_, gettext, said
from tracker.keys import KeyStore, Role


@click.group(help=N_("Manage API keys (shown once, stored only as a hash)."))
def keys() -> None:
    pass


@keys.command("create", help=N_("Create a key and print it (the only time it is shown)."))
@click.option(
    "--name", required=True, help=N_("Stored as the actor of every event the key records.")
)
@click.option(
    "--role", type=click.Choice([r.value for r in Role]), required=True, help=N_("What it may do.")
)
@click.option(
    "--portfolio", "portfolio_id", type=click.UUID, help=N_("Only write to this portfolio.")
)
def create(name: str, role: str, portfolio_id: UUID | None) -> None:
    with open_tracker(load_settings()) as (_, engine):
        try:
            record, token = KeyStore(engine).create(name, Role(role), portfolio_id)
        except TrackerError as error:
            err.print(error_line(said(error)))
            sys.exit(1)
    if record.portfolio_id:
        told = gettext(
            "key %(id)s for %(name)r (%(role)s, portfolio %(portfolio)s); keep it secret:",
            id=record.key_id,
            name=record.name,
            role=record.role,
            portfolio=record.portfolio_id,
        )
    else:
        told = gettext(
            "key %(id)s for %(name)r (%(role)s); keep it secret:",
            id=record.key_id,
            name=record.name,
            role=record.role,
        )
    err.print(told)
    click.echo(token)


@keys.command("list", help=N_("List keys (never their secrets)."))
def list_keys() -> None:
    with open_tracker(load_settings()) as (_, engine):
        records = KeyStore(engine).list()
    table = Table(
        gettext("id"),
        gettext("name"),
        gettext("role"),
        gettext("portfolio"),
        gettext("created"),
        gettext("revoked"),
    )
    for r in records:
        table.add_row(
            r.key_id,
            r.name,
            r.role.value,
            str(r.portfolio_id or gettext("any")),
            f"{r.created_at:%Y-%m-%d %H:%M}",
            f"{r.revoked_at:%Y-%m-%d %H:%M}" if r.revoked_at else "",
        )
    Console().print(table)


@keys.command("revoke", help=N_("Revoke a key by its name or id; it stops working at once."))
@click.argument("name_or_id")
def revoke(name_or_id: str) -> None:
    with open_tracker(load_settings()) as (_, engine):
        try:
            record = KeyStore(engine).revoke(name_or_id)
        except TrackerError as error:
            err.print(error_line(said(error)))
            sys.exit(1)
    click.echo(gettext("revoked key %(id)s (%(name)s)", id=record.key_id, name=record.name))
