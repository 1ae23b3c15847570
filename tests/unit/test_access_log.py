"""The access log as ``tracker serve`` configures it: every line written, in either format,
including the ones still queued when the process exits."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.logs import AccessWriter

LINES = 250


def _run(log_format: str) -> list[str]:
    script = textwrap.dedent(
        f"""
        import logging, logging.config
        from tracker.logs import LogSettings, log_access, logging_config
        logging.config.dictConfig(logging_config(LogSettings(format={log_format!r})))
        logging.getLogger("tracker.other").warning("not an access line")
        for n in range({LINES}):
            log_access("GET", f"/p/{{n}}", "/p/{{n}}", 200, 1.5, "10.0.0.1")
        # A record logged the ordinary way reaches the same writer.
        logging.getLogger("tracker.access").info(
            "x", extra={{"method": "POST", "path": "/q", "route": "/q", "status": 201,
                        "duration_ms": 2.5, "client": None}}
        )
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stderr.splitlines()


def test_json_lines_carry_every_field_and_none_is_lost_at_exit() -> None:
    entries = [json.loads(line) for line in _run("json")]
    access = [entry for entry in entries if entry["logger"] == "tracker.access"]
    assert len(access) == LINES + 1
    assert [entry["path"] for entry in access[:LINES]] == [f"/p/{n}" for n in range(LINES)]
    first = access[0]
    assert first["route"] == "/p/{n}"
    assert first["status"] == 200 and first["duration_ms"] == 1.5
    assert first["client"] == "10.0.0.1" and first["level"] == "info"
    assert first["message"] == "GET /p/0 200 1.5 ms"
    assert first["time"].endswith("Z")
    assert access[-1]["method"] == "POST" and access[-1]["status"] == 201
    assert any(entry["logger"] == "tracker.other" for entry in entries)


def test_text_lines() -> None:
    access = [line for line in _run("text") if " tracker.access: " in line]
    assert len(access) == LINES + 1
    assert access[0].split(" ", 1)[1] == "INFO tracker.access: GET /p/0 200 1.5 ms"


def test_access_log_off_writes_nothing() -> None:
    script = textwrap.dedent(
        """
        import logging.config
        from tracker.logs import LogSettings, log_access, logging_config
        logging.config.dictConfig(logging_config(LogSettings(access_log=False)))
        log_access("GET", "/p", "/p", 200, 1.0, None)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stderr == ""


@settings(max_examples=200, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "HEAD"]),
    path=st.text(),
    route=st.text(),
    status=st.integers(100, 599),
    duration_ms=st.floats(0, 1e9, allow_nan=False),
    client=st.one_of(st.none(), st.text()),
)
def test_a_json_line_is_json_of_its_request(
    method: str, path: str, route: str, status: int, duration_ms: float, client: str | None
) -> None:
    """The JSON line is written from pieces made once per kind of request; whatever a path,
    route or client holds (quotes, backslashes, control characters, any script), the line is
    one JSON object of exactly the request's fields."""
    writer = AccessWriter.__new__(AccessWriter)  # no thread: only its formatting
    writer.line_format = "json"
    text = writer._text([(1_700_000_000.25, method, path, route, status, duration_ms, client)])
    assert text.endswith("\n") and text.count("\n") == 1
    assert json.loads(text) == {
        "time": "2023-11-14T22:13:20.250Z",
        "level": "info",
        "logger": "tracker.access",
        "message": f"{method} {path} {status} {duration_ms:.1f} ms",
        "method": method,
        "path": path,
        "route": route,
        "status": status,
        "duration_ms": round(duration_ms, 3),
        "client": client,
    }
