"""``tracker publisher``: who publishes a portfolio to IATI (its reporting organisation)."""

from __future__ import annotations

import sys
from uuid import UUID

import click

from tracker.cli import err, error_line, load_settings, open_tracker
from tracker.cli.rates import today_envelope
from tracker.domain.errors import TrackerError
from tracker.domain.publisher import (
    DEFAULT_FLOW_TYPE,
    DEFAULT_ORGANISATION_TYPE,
    FLOW_TYPES,
    ORGANISATION_TYPES,
    ReportingOrganisation,
)
from tracker.i18n import N_, said
from tracker.i18n import gettext as _
from tracker.i18n.formats import moment
from tracker.readmodel.projector import Projector
from tracker.readmodel.publishers import reporting_organisation_of


@click.group(
    help=N_(
        "The organisation that publishes a portfolio to IATI (needed by `export --format iati`)."
    )
)
def publisher() -> None:
    pass


@publisher.command("set", help=N_("Name the organisation that publishes PORTFOLIO_ID to IATI."))
@click.argument("portfolio_id", type=click.UUID)
@click.option(
    "--ref",
    required=True,
    help=N_("IATI organisation identifier: agency code, '-', number (e.g. KZ-BIN-123456789012)."),
)
@click.option("--name", required=True, help=N_("The organisation's name."))
@click.option(
    "--type",
    "org_type",
    default=DEFAULT_ORGANISATION_TYPE,
    show_default=True,
    help=N_("IATI OrganisationType code (10: government)."),
)
@click.option(
    "--flow-type",
    default=DEFAULT_FLOW_TYPE,
    show_default=True,
    help=N_("IATI FlowType its activities carry (36: private direct investment)."),
)
def set_publisher(portfolio_id: UUID, ref: str, name: str, org_type: str, flow_type: str) -> None:
    organisation = ReportingOrganisation(ref, name, org_type, flow_type)
    with open_tracker(load_settings()) as (tracker, engine):
        try:
            tracker.set_reporting_organisation(portfolio_id, organisation, today_envelope())
        except TrackerError as error:
            where = f" (--{error.field.replace('_', '-')})" if error.field else ""
            err.print(error_line(f"{said(error)}{where}"), highlight=False)
            sys.exit(1)
        Projector(tracker, engine).catch_up()
    click.echo(
        _(
            "Portfolio %(portfolio)s is published to IATI by %(ref)s (%(name)s).",
            portfolio=portfolio_id,
            ref=ref.strip(),
            name=name.strip(),
        )
    )


@publisher.command("show", help=N_("Say who publishes PORTFOLIO_ID to IATI."))
@click.argument("portfolio_id", type=click.UUID)
def show_publisher(portfolio_id: UUID) -> None:
    with open_tracker(load_settings()) as (tracker, engine):
        Projector(tracker, engine).catch_up()
        with engine.connect() as conn:
            found = reporting_organisation_of(conn, portfolio_id)
    if found is None:
        message = _(
            "Portfolio %(portfolio)s has no IATI reporting organisation; set it with "
            "`tracker publisher set %(portfolio)s --ref … --name …`.",
            portfolio=portfolio_id,
        )
        err.print(error_line(message), highlight=False)
        sys.exit(1)
    org = found.organisation
    click.echo(f"{org.ref}  {org.name}")
    click.echo(
        _(
            "Organisation type %(type)s (%(type_name)s), flow type %(flow_type)s "
            "(%(flow_type_name)s); set in version %(version)s, %(moment)s.",
            type=org.type,
            type_name=ORGANISATION_TYPES.get(org.type, "?"),
            flow_type=org.flow_type,
            flow_type_name=FLOW_TYPES.get(org.flow_type, "?"),
            version=found.version,
            moment=moment(found.recorded_at),
        )
    )
