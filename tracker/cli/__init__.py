"""The ``tracker`` command line: one module per group of commands, registered on ``main``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

import click
from rich.console import Console

from tracker import i18n
from tracker.cli.localised import LocalisedGroup
from tracker.i18n import N_, gettext
from tracker.rfc3339 import parse_moment
from tracker.settings import Settings, SettingsError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from tracker.application import TrackerApplication

err = Console(stderr=True, soft_wrap=True)


def read_moment(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """A ``--known-at``: RFC 3339 (``Z``, offsets, fractions), read as the API reads it."""
    if value is None:
        return None
    try:
        return parse_moment(value)
    except ValueError as error:
        raise click.BadParameter(str(error), ctx, param) from None


known_at_option = click.option(
    "--known-at",
    metavar="MOMENT",
    callback=read_moment,
    help=N_("Only what had been recorded by this RFC 3339 moment (UTC if no zone)."),
)


def error_line(message: str) -> str:
    """``error: …`` for stderr, the prefix in the language in use."""
    prefix = gettext("error:")
    return f"[red]{prefix}[/red] {message}"


def load_settings() -> Settings:
    """The settings from the environment, or exit 2 with one clear line."""
    try:
        settings = Settings.from_env()
        _ = settings.sqlalchemy_url()
    except SettingsError as error:
        err.print(error_line(str(error)))
        sys.exit(2)
    return settings


@contextmanager
def open_tracker(settings: Settings) -> Iterator[tuple[TrackerApplication, Engine]]:
    """The application and a read-model engine on a migrated database, or exit 1 saying why."""
    from sqlalchemy.exc import SQLAlchemyError

    from tracker.application import TrackerApplication
    from tracker.eventstore.migrate import is_at_head
    from tracker.readmodel.database import create_readmodel_engine

    try:
        migrated = is_at_head(settings)
    except SQLAlchemyError as error:
        reason = f"{error.__class__.__name__}: {error}"
        err.print(error_line(gettext("database unreachable: %(reason)s", reason=reason)))
        sys.exit(1)
    if not migrated:
        err.print(error_line(gettext("the database is not migrated; run `tracker migrate` first")))
        sys.exit(1)
    tracker = TrackerApplication(settings)
    engine = create_readmodel_engine(settings, pool_size=2)
    try:
        yield tracker, engine
    finally:
        engine.dispose()
        tracker.close()


@click.group(
    cls=LocalisedGroup,
    help=N_(
        "Event-sourced tracker for portfolios of cooperation projects.\n\n"
        "Configuration comes from TRACKER_* environment variables (see README)."
    ),
)
@click.option(
    "--lang",
    type=click.Choice(i18n.LANGUAGES),
    help=N_(
        "Language of the messages: en, ru, kk or uz (default: from LANGUAGE, LC_ALL, "
        "LC_MESSAGES or LANG, else English). Data is printed as recorded."
    ),
)
def main(lang: str | None) -> None:
    i18n.set_language(lang or i18n.from_environment())


# ``tracker serve`` is registered by api/cli.py, the installed entry point: the core knows
# nothing of HTTP.


@main.command(help=N_("Apply every database migration (alembic upgrade head)."))
def migrate() -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from tracker.eventstore.migrate import head_revision, upgrade

    settings = load_settings()
    try:
        upgrade(settings)
    except SQLAlchemyError as error:
        reason = f"{error.__class__.__name__}: {error}"
        err.print(error_line(gettext("migration failed: %(reason)s", reason=reason)))
        sys.exit(1)
    click.echo(
        gettext(
            "database at revision %(revision)s (%(url)s)",
            revision=head_revision(),
            url=settings.url.render_as_string(),
        )
    )


def _register() -> None:
    from tracker.cli.keys import keys
    from tracker.cli.reporting import demo

    main.add_command(keys)
    main.add_command(demo)

    from tracker.cli.projections import projections, projector

    main.add_command(projections)
    main.add_command(projector)

    from tracker.cli.rates import rates
    from tracker.cli.transfer import export_command, import_command

    main.add_command(rates)

    from tracker.cli.documents import documents

    main.add_command(documents)

    from tracker.cli.publisher import publisher

    main.add_command(publisher)

    main.add_command(import_command)
    main.add_command(export_command)

    from tracker.cli.integrity import checkpoint, signing_key, verify, verify_export_command

    main.add_command(verify)
    main.add_command(verify_export_command)
    main.add_command(checkpoint)
    main.add_command(signing_key)


_register()
