"""``tracker keys``: create, list and revoke API keys."""

from __future__ import annotations

import sys
from uuid import UUID

import click
from rich.console import Console
from rich.table import Table

from tracker.cli import err, load_settings, open_tracker
from tracker.domain.errors import TrackerError
from tracker.keys import KeyStore, Role


@click.group()
def keys() -> None:
    """Manage API keys (shown once, stored only as a hash)."""


@keys.command("create")
@click.option("--name", required=True, help="Stored as the actor of every event the key records.")
@click.option(
    "--role", type=click.Choice([r.value for r in Role]), required=True, help="What it may do."
)
@click.option("--portfolio", "portfolio_id", type=click.UUID, help="Only write to this portfolio.")
def create(name: str, role: str, portfolio_id: UUID | None) -> None:
    """Create a key and print it (the only time it is shown)."""
    with open_tracker(load_settings()) as (_, engine):
        try:
            record, token = KeyStore(engine).create(name, Role(role), portfolio_id)
        except TrackerError as error:
            err.print(f"[red]error:[/red] {error.detail}")
            sys.exit(1)
    scope = f", portfolio {record.portfolio_id}" if record.portfolio_id else ""
    err.print(f"key {record.key_id} for {record.name!r} ({record.role}{scope}); keep it secret:")
    click.echo(token)


@keys.command("list")
def list_keys() -> None:
    """List keys (never their secrets)."""
    with open_tracker(load_settings()) as (_, engine):
        records = KeyStore(engine).list()
    table = Table("id", "name", "role", "portfolio", "created", "revoked")
    for r in records:
        table.add_row(
            r.key_id,
            r.name,
            r.role.value,
            str(r.portfolio_id or "any"),
            f"{r.created_at:%Y-%m-%d %H:%M}",
            f"{r.revoked_at:%Y-%m-%d %H:%M}" if r.revoked_at else "",
        )
    Console().print(table)


@keys.command("revoke")
@click.argument("name_or_id")
def revoke(name_or_id: str) -> None:
    """Revoke a key by its name or id; it stops working at once."""
    with open_tracker(load_settings()) as (_, engine):
        try:
            record = KeyStore(engine).revoke(name_or_id)
        except TrackerError as error:
            err.print(f"[red]error:[/red] {error.detail}")
            sys.exit(1)
    click.echo(f"revoked key {record.key_id} ({record.name})")
