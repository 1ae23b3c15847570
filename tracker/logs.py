"""Logging for the long-running commands (``tracker serve``, ``tracker projector``).

Two formats, chosen with ``TRACKER_LOG_FORMAT``:

- ``json``: one JSON object per line on stderr, with ``time`` (UTC, ISO 8601), ``level``,
  ``logger`` and ``message``; an access-log line (logger ``tracker.access``) adds ``method``,
  ``path``, ``route``, ``status``, ``duration_ms`` and ``client`` (the address the
  per-address rate limit counted: the connection's peer, or the ``X-Forwarded-For`` client
  when the peer is one of ``TRACKER_TRUSTED_PROXIES``); an error adds ``exception`` (the
  traceback as text). This is what log shippers (Docker, journald, Loki, …) want.
- ``text``: one human line per message, ``TIME LEVEL LOGGER: MESSAGE``.
- ``auto`` (the default): ``text`` when stderr is a terminal, ``json`` otherwise (in a
  container, under systemd, into a pipe or a file).

``TRACKER_LOG_LEVEL`` (``debug``, ``info`` (default), ``warning``, ``error``) sets the level,
and ``TRACKER_ACCESS_LOG`` (``true`` (default) or ``false``) turns the one-line-per-request
access log on or off (it costs a few per cent of a trivial request; see docs/BENCHMARKS.md).
"""

from __future__ import annotations

import atexit
import logging
import logging.config
import logging.handlers
import queue
import sys
import time
from dataclasses import dataclass
from typing import Any, Literal

import msgspec

from tracker.settings import Settings

LogFormat = Literal["json", "text"]
#: Logger of the one-line-per-request access log (written by ``api.metrics``).
ACCESS_LOGGER = "tracker.access"

# The attributes every LogRecord has; anything else was passed with ``extra=`` and is kept.
_STANDARD = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "color_message", "taskName"}
)
_encode = msgspec.json.Encoder(enc_hook=str).encode


@dataclass(frozen=True)
class LogSettings:
    """How to log, from the settings ``TRACKER_LOG_FORMAT``, ``TRACKER_LOG_LEVEL`` and
    ``TRACKER_ACCESS_LOG`` (tracker/settings.py)."""

    format: LogFormat = "json"
    level: str = "info"
    access_log: bool = True

    @classmethod
    def of(cls, settings: Settings, *, terminal: bool | None = None) -> LogSettings:
        """How to log with ``settings`` (``auto`` resolved for this process's stderr)."""
        chosen = settings.log_format
        if chosen == "auto":
            is_terminal = sys.stderr.isatty() if terminal is None else terminal
            chosen = "text" if is_terminal else "json"
        return cls(
            format="text" if chosen == "text" else "json",
            level=settings.log_level,
            access_log=settings.access_log,
        )


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _utc(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return _encode(entry).decode()


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _utc(record.created)


def _utc(created: float) -> str:
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
    return f"{seconds}.{int(created % 1 * 1000):03d}Z"


def logging_config(settings: LogSettings) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dictionary (uvicorn takes it as ``log_config``).

    Everything goes to the root logger's one handler on stderr: the tracker's own loggers,
    uvicorn's, SQLAlchemy's and alembic's; the access log (``tracker.access``) reaches it
    through a writer thread. uvicorn's own access log stays off: the tracker's knows the
    route and the duration.
    """
    formatter = JsonFormatter if settings.format == "json" else TextFormatter
    level = settings.level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            },
            "access": {"()": f"{__name__}.{to_root_in_background.__name__}"},
        },
        "root": {"level": level, "handlers": ["default"]},
        "loggers": {
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
            ACCESS_LOGGER: {
                "level": "INFO" if settings.access_log else "WARNING",
                "handlers": ["access"],
                "propagate": False,
            },
        },
    }


class _Unformatted(logging.handlers.QueueHandler):
    """Queues each record as it is: the writer thread formats it."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record


class _ToRoot(logging.Handler):
    """Hands a record to the root logger's handlers (the one stderr stream and its format)."""

    def emit(self, record: logging.LogRecord) -> None:
        for handler in logging.getLogger().handlers:
            handler.handle(record)


def to_root_in_background() -> logging.Handler:
    """The access log's handler: the request only queues its record; a writer thread
    formats and writes it (done in the request, the JSON access line cost a trivial request
    a third of its time). Only the access log: the rare other lines, the last ones before a
    shutdown among them, are written at once."""
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    writer = logging.handlers.QueueListener(records, _ToRoot())
    writer.start()
    atexit.register(writer.stop)
    return _Unformatted(records)
