"""The ``tracker`` command line: one module per group of commands, registered on ``main``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click
from rich.console import Console

from tracker.settings import Settings, SettingsError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from tracker.application import TrackerApplication

err = Console(stderr=True, soft_wrap=True)


def load_settings() -> Settings:
    """The settings from the environment, or exit 2 with one clear line."""
    try:
        settings = Settings.from_env()
        _ = settings.sqlalchemy_url()
    except SettingsError as error:
        err.print(f"[red]error:[/red] {error}")
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
        err.print(f"[red]error:[/red] database unreachable: {error.__class__.__name__}: {error}")
        sys.exit(1)
    if not migrated:
        err.print("[red]error:[/red] the database is not migrated; run `tracker migrate` first")
        sys.exit(1)
    tracker = TrackerApplication(settings)
    engine = create_readmodel_engine(settings, pool_size=2)
    try:
        yield tracker, engine
    finally:
        engine.dispose()
        tracker.close()


@click.group()
def main() -> None:
    """Event-sourced tracker for portfolios of cooperation projects.

    Configuration comes from TRACKER_* environment variables (see README).
    """


@main.command()
def migrate() -> None:
    """Apply every database migration (alembic upgrade head)."""
    from sqlalchemy.exc import SQLAlchemyError

    from tracker.eventstore.migrate import head_revision, upgrade

    settings = load_settings()
    try:
        upgrade(settings)
    except SQLAlchemyError as error:
        err.print(f"[red]error:[/red] migration failed: {error.__class__.__name__}: {error}")
        sys.exit(1)
    click.echo(f"database at revision {head_revision()} ({settings.url.render_as_string()})")


@main.command()
@click.option("--host", default=None, help="Address to bind (default TRACKER_HOST or 127.0.0.1).")
@click.option("--port", default=None, type=int, help="Port (default TRACKER_PORT or 8000).")
@click.option("--workers", default=1, show_default=True, help="Worker processes.")
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the HTTP API (docs at /docs, Prometheus metrics at /metrics).

    Logs go to stderr, one JSON object per line (TRACKER_LOG_FORMAT=json, the default when
    stderr is not a terminal) or plain text (TRACKER_LOG_FORMAT=text); TRACKER_LOG_LEVEL sets
    the level and TRACKER_ACCESS_LOG=false turns the per-request access log off. SIGTERM
    stops gracefully: requests in flight finish, then the read model and pools close.

    X-Forwarded-For is believed only from TRACKER_TRUSTED_PROXIES (default: nobody); a
    client has TRACKER_HEADER_TIMEOUT seconds (10) to send its request headers, and an idle
    connection is closed after TRACKER_KEEP_ALIVE_TIMEOUT (5).
    """
    import uvicorn

    from api.metrics import remove_shared, share_between_workers
    from api.server import uvicorn_options
    from tracker.logs import LogSettings, logging_config

    settings = load_settings()
    logs = LogSettings.of(settings)
    if workers > 1 and not settings.is_postgres:
        err.print("[yellow]note:[/yellow] several workers on SQLite share one file lock")
    metrics_dir = share_between_workers(workers)
    try:
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            host=host or settings.host,
            port=port or settings.port,
            workers=workers,
            log_level=logs.level,
            log_config=logging_config(logs),
            access_log=False,  # the app writes its own, with the route and the duration
            # X-Forwarded-* only from TRACKER_TRUSTED_PROXIES; header, keep-alive and
            # connection limits (TRACKER_HEADER_TIMEOUT, …).
            **uvicorn_options(settings),
        )
    finally:
        remove_shared(metrics_dir)


def _register() -> None:
    from tracker.cli.keys import keys
    from tracker.cli.reporting import demo, report

    main.add_command(keys)
    main.add_command(demo)
    main.add_command(report)

    from tracker.cli.projections import projections, projector

    main.add_command(projections)
    main.add_command(projector)

    from tracker.cli.transfer import export_command, import_command

    main.add_command(import_command)
    main.add_command(export_command)


_register()
