"""``tracker publisher``: who publishes a portfolio to IATI (its reporting organisation)."""

from __future__ import annotations

import sys
from uuid import UUID

import click

from tracker.cli import err, load_settings, open_tracker
from tracker.cli.rates import today_envelope
from tracker.domain.errors import TrackerError
from tracker.domain.publisher import (
    DEFAULT_FLOW_TYPE,
    DEFAULT_ORGANISATION_TYPE,
    FLOW_TYPES,
    ORGANISATION_TYPES,
    ReportingOrganisation,
)
from tracker.readmodel.projector import Projector
from tracker.readmodel.publishers import reporting_organisation_of


@click.group()
def publisher() -> None:
    """The organisation that publishes a portfolio to IATI (needed by `export --format iati`)."""


@publisher.command("set")
@click.argument("portfolio_id", type=click.UUID)
@click.option(
    "--ref",
    required=True,
    help="IATI organisation identifier: agency code, '-', number (e.g. KZ-BIN-123456789012).",
)
@click.option("--name", required=True, help="The organisation's name.")
@click.option(
    "--type",
    "org_type",
    default=DEFAULT_ORGANISATION_TYPE,
    show_default=True,
    help="IATI OrganisationType code (10: government).",
)
@click.option(
    "--flow-type",
    default=DEFAULT_FLOW_TYPE,
    show_default=True,
    help="IATI FlowType its activities carry (36: private direct investment).",
)
def set_publisher(portfolio_id: UUID, ref: str, name: str, org_type: str, flow_type: str) -> None:
    """Name the organisation that publishes PORTFOLIO_ID to IATI."""
    organisation = ReportingOrganisation(ref, name, org_type, flow_type)
    with open_tracker(load_settings()) as (tracker, engine):
        try:
            tracker.set_reporting_organisation(portfolio_id, organisation, today_envelope())
        except TrackerError as error:
            where = f" (--{error.field.replace('_', '-')})" if error.field else ""
            err.print(f"[red]error:[/red] {error.detail}{where}", highlight=False)
            sys.exit(1)
        Projector(tracker, engine).catch_up()
    click.echo(f"portfolio {portfolio_id} is published to IATI by {ref.strip()} ({name.strip()})")


@publisher.command("show")
@click.argument("portfolio_id", type=click.UUID)
def show_publisher(portfolio_id: UUID) -> None:
    """Say who publishes PORTFOLIO_ID to IATI."""
    with open_tracker(load_settings()) as (tracker, engine):
        Projector(tracker, engine).catch_up()
        with engine.connect() as conn:
            found = reporting_organisation_of(conn, portfolio_id)
    if found is None:
        err.print(
            f"[red]error:[/red] portfolio {portfolio_id} has no IATI reporting organisation; "
            f"set it with `tracker publisher set {portfolio_id} --ref … --name …`",
            highlight=False,
        )
        sys.exit(1)
    org = found.organisation
    click.echo(
        f"{org.ref}  {org.name}\n"
        f"type {org.type} ({ORGANISATION_TYPES.get(org.type, '?')}), "
        f"flow type {org.flow_type} ({FLOW_TYPES.get(org.flow_type, '?')}), "
        f"set in version {found.version} at {found.recorded_at:%Y-%m-%d %H:%M:%S} UTC"
    )
