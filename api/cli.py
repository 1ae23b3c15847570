"""The installed ``tracker`` command: the core's commands (tracker/cli), ``serve``, and the
reads that print the API's bodies (``report``, ``portfolios``, in api/reading_cli.py).

They live here because the core knows nothing of HTTP or of the API's bodies.
"""

from __future__ import annotations

import click
import uvicorn

from api.metrics import remove_shared, share_between_workers
from api.reading_cli import portfolios, report
from api.server import uvicorn_options
from tracker.cli import err, load_settings, main
from tracker.i18n import N_
from tracker.logs import LogSettings, logging_config

__all__ = ["main"]

main.add_command(report)
main.add_command(portfolios)


@main.command(
    help=N_(
        "Serve the HTTP API (docs at /docs, Prometheus metrics at /metrics).\n\n"
        "Logs go to stderr, one JSON object per line (TRACKER_LOG_FORMAT=json, the default "
        "when stderr is not a terminal) or plain text (TRACKER_LOG_FORMAT=text); "
        "TRACKER_LOG_LEVEL sets the level and TRACKER_ACCESS_LOG=false turns the per-request "
        "access log off. SIGTERM stops gracefully: requests in flight finish, then the read "
        "model and pools close.\n\n"
        "X-Forwarded-For is believed only from TRACKER_TRUSTED_PROXIES (default: nobody); a "
        "client has TRACKER_HEADER_TIMEOUT seconds (10) to send its request headers, and an "
        "idle connection is closed after TRACKER_KEEP_ALIVE_TIMEOUT (5)."
    )
)
@click.option(
    "--host", default=None, help=N_("Address to bind (default TRACKER_HOST or 127.0.0.1).")
)
@click.option("--port", default=None, type=int, help=N_("Port (default TRACKER_PORT or 8000)."))
@click.option("--workers", default=1, show_default=True, help=N_("Worker processes."))
def serve(host: str | None, port: int | None, workers: int) -> None:
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
