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
import sys
import threading
import time
from collections import deque
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
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
_encoder = msgspec.json.Encoder(enc_hook=str)
_encode = _encoder.encode


@lru_cache(maxsize=4096)
def _json_shape(
    method: str, path: str, route: str, status: Any, client: Any
) -> tuple[str, str, str]:
    """The JSON access line of a request like this one (``time``, ``level``, ``logger``,
    ``message``, ``method``, ``path``, ``route``, ``status``, ``duration_ms``, ``client``) in
    three pieces around what differs from one such request to the next: the time, the
    message's duration and ``duration_ms``. Made once per kind of request, so that a line
    costs the writer the joining of a few strings rather than a struct and its encoding
    (docs/BENCHMARKS.md)."""
    message_start = _encode(f"{method} {path} {status} ").decode()[:-1]  # without its quote
    fields = ",".join(
        f'"{name}":{_encode(value).decode()}'
        for name, value in (
            ("method", method),
            ("path", path),
            ("route", route),
            ("status", status),
        )
    )
    return (
        f'","level":"info","logger":"{ACCESS_LOGGER}","message":{message_start}',
        f' ms",{fields},"duration_ms":',
        f',"client":{_encode(client).decode()}}}\n',
    )


#: How often the access log's writer wakes (seconds), and the most lines it writes at once.
FLUSH_INTERVAL = 0.1
BATCH_LINES = 2000


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


#: The last second formatted, and its text (lines of one second share it).
_second: tuple[int, str] = (-1, "")
#: The milliseconds and zone of a stamp, each formatted once: ``.000Z`` to ``.999Z``.
_MILLISECONDS = tuple(f".{n:03d}Z" for n in range(1000))


def _utc(created: float) -> str:
    global _second
    whole = int(created)
    if _second[0] != whole:
        _second = (whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)))
    return _second[1] + _MILLISECONDS[int(created % 1 * 1000)]


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
            "access": {
                "()": f"{__name__}.{AccessWriter.__qualname__}",
                "line_format": settings.format,
            },
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


class AccessWriter(logging.Handler):
    """The access log's handler: a request appends a tuple of its figures to a queue, and a
    writer thread of its own wakes every :data:`FLUSH_INTERVAL` seconds, formats what
    waits and writes it to the root handler's stream in one call.

    Through ``logging`` (a ``LogRecord`` per request, formatted and flushed one line at a
    time) the JSON access line cost a trivial request half of its CPU time. A thread woken by
    each line (a blocking queue) still cost a request a wake-up of that thread and a hand-over
    of the interpreter, a tenth of a trivial request's time; woken by a clock instead, it takes
    the interpreter a few times a second and formats hundreds of lines each time
    (docs/BENCHMARKS.md). A line costs the request a tuple and an append. Records logged to
    ``tracker.access`` by other means are written as lines too; nothing queued is lost when
    the process exits (:meth:`close` writes it).
    """

    #: The writer of this process (the last configured), for :func:`log_access`.
    current: AccessWriter | None = None

    def __init__(self, line_format: LogFormat = "json") -> None:
        super().__init__()
        self.line_format = line_format
        # deque.append and popleft are atomic: the request's thread and the writer share it
        # without a lock, and an append never wakes the writer.
        self._lines: deque[tuple[Any, ...]] = deque()
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._write, name="access-log", daemon=True)
        self._thread.start()
        atexit.register(self.close)
        AccessWriter.current = self

    def line(
        self, method: str, path: str, route: str, status: int, duration_ms: float, client: Any
    ) -> None:
        self._lines.append((time.time(), method, path, route, status, duration_ms, client))

    def emit(self, record: logging.LogRecord) -> None:
        extra = record.__dict__
        self._lines.append(
            (
                record.created,
                extra.get("method", "?"),
                extra.get("path", ""),
                extra.get("route", ""),
                extra.get("status", 0),
                extra.get("duration_ms", 0.0),
                extra.get("client"),
            )
        )

    def close(self) -> None:
        if self._thread.is_alive():
            self._closing.set()
            self._thread.join(timeout=5)
        self._flush()  # whatever was queued after the writer's last pass
        if AccessWriter.current is self:
            AccessWriter.current = None
        super().close()

    def _write(self) -> None:
        while True:
            closing = self._closing.wait(FLUSH_INTERVAL)
            self._flush()
            if closing:
                return

    def _flush(self) -> None:
        """Write every line queued so far (in batches, so a backlog is not held at once)."""
        lines = self._lines
        while lines:
            batch: list[tuple[Any, ...]] = []
            with suppress(IndexError):
                while len(batch) < BATCH_LINES:
                    batch.append(lines.popleft())
            if batch:
                self._emit_lines(self._text(batch))

    def _text(self, batch: list[tuple[Any, ...]]) -> str:
        """The lines of ``batch``, each ended by a newline."""
        if self.line_format == "text":
            return "".join(
                f"{_utc(created)} INFO {ACCESS_LOGGER}: {method} {path} {status} "
                f"{duration_ms:.1f} ms\n"
                for created, method, path, _, status, duration_ms, _ in batch
            )
        lines = []
        for created, method, path, route, status, duration_ms, client in batch:
            before, between, after = _json_shape(method, path, route, status, client)
            lines.append(
                f'{{"time":"{_utc(created)}{before}{duration_ms:.1f}{between}'
                f"{round(duration_ms, 3)!r}{after}"
            )
        return "".join(lines)

    @staticmethod
    def _emit_lines(text: str) -> None:
        """Write to the root logger's stream handlers, one call per batch."""
        for handler in logging.getLogger().handlers:
            stream = getattr(handler, "stream", None)
            if stream is None:
                continue
            handler.acquire()
            try:
                stream.write(text)
                stream.flush()
            finally:
                handler.release()


_access = logging.getLogger(ACCESS_LOGGER)


def log_access(
    method: str, path: str, route: str, status: int, duration_ms: float, client: Any
) -> None:
    """One access-log line, if the access log is on (``TRACKER_ACCESS_LOG``)."""
    if not _access.isEnabledFor(logging.INFO):
        return
    writer = AccessWriter.current
    if writer is not None and writer in _access.handlers:
        writer.line(method, path, route, status, duration_ms, client)
        return
    _access.info(
        "%s %s %d %.1f ms",
        method,
        path,
        status,
        duration_ms,
        extra={
            "method": method,
            "path": path,
            "route": route,
            "status": status,
            "duration_ms": round(duration_ms, 3),
            "client": client,
        },
    )
