"""What the browser tests stand on: the real app under uvicorn on a fresh SQLite file, a small
portfolio recorded through the API, and Debian's Chromium that records what pages do."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tracker.eventstore.migrate import upgrade
from tracker.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("TRACKER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Belt and braces: even if a page asked for another host, it could not be resolved.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def browser_unavailable() -> str | None:
    """Why the browser tests cannot run here, or ``None`` when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (make test installs it)"
    if not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(env: dict[str, str], *args: str) -> str:
    """Run the ``tracker`` command line as an operator would; its standard output."""
    done = subprocess.run(
        [sys.executable, "-c", "from tracker.cli import main; main()", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"tracker {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
    return done.stdout


@dataclass
class Server:
    """A running app: its base URL and an admin key to record with."""

    base_url: str
    token: str
    process: subprocess.Popen[bytes]
    facts: dict[str, Any] = field(default_factory=dict)

    def api(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )


def start_server(directory: Path, *, demo: bool) -> Server:
    database = f"sqlite:///{directory}/tracker.db"
    upgrade(Settings(database_url=database))
    env = {**os.environ, "TRACKER_DATABASE_URL": database}
    if demo:
        _cli(env, "demo")
    token = _cli(env, "keys", "create", "--name", "browser-tests", "--role", "admin").strip()
    port = _free_port()
    log = (directory / "server.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base_url}/ready", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the server did not start; see {directory / 'server.log'}")
        time.sleep(0.2)
    return Server(base_url, token, process)


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=5)


def require_browser() -> None:
    reason = browser_unavailable()
    if reason is None:
        return
    if os.environ.get("TRACKER_REQUIRE_BROWSER") == "1":
        pytest.fail(f"TRACKER_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "USD"}


def _record(api: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(path, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def load_story(server: Server) -> dict[str, Any]:
    """A small portfolio with a restated target, a correction and a retraction.

    The portfolio is established after the demo's, so the demo stays the default one.
    """
    with server.api() as api:
        portfolio = _record(
            api,
            "/api/v1/portfolios",
            {
                "name": "Browser test portfolio <b>&amp;</b>",
                "forum": "Test forum",
                "established_on": "2024-03-01",
            },
        )["id"]
        for day, amount, jobs, count, title in (
            ("2024-03-01", "100000000", 1000, 3, "First communiqué"),
            ("2025-01-15", "120000000", 1200, 4, "Second communiqué"),
        ):
            _record(
                api,
                f"/api/v1/portfolios/{portfolio}/targets",
                {
                    "investment": {"amount": amount, "currency": "USD"},
                    "jobs": jobs,
                    "projects": count,
                    "effective_date": day,
                    "source": {"title": title, "url": "https://example.org/communique"},
                },
            )

        def announce(title: str, sector: str, region: str, amount: str, day: str) -> str:
            return str(
                _record(
                    api,
                    "/api/v1/projects",
                    {
                        "portfolio_id": portfolio,
                        "title": title,
                        "sector": sector,
                        "regions": [region],
                        "planned_investment": {"amount": amount, "currency": "USD"},
                        "planned_jobs": 400,
                        "effective_date": day,
                    },
                )["id"]
            )

        solar = announce(
            "Solar park <script>alert('x')</script>", "energy", "KZ-61", "60000000.00", "2024-04-01"
        )
        rail = announce(
            "Rail freight terminal", "transit transport", "UZ-SI", "40000000.00", "2024-04-15"
        )
        events = f"/api/v1/projects/{solar}/events"
        agreement = {"title": "Signed agreement", "url": "https://example.org/agreement"}
        for body in (
            {"type": "status_changed", "status": "under_implementation"},
            {"type": "committed", "amount": usd("30000000.00"), "source": agreement},
            {"type": "disbursed", "amount": usd("10000000.00"), "effective_date": "2024-09-01"},
            {"type": "jobs_created", "permanent": 100, "temporary": 20},
            {"type": "disbursed", "amount": usd("5000000.00"), "effective_date": "2025-02-01"},
        ):
            day = {"status_changed": "2024-05-01", "committed": "2024-06-01"}
            body.setdefault("effective_date", day.get(str(body["type"]), "2024-10-01"))
            _record(api, events, body)
        # "Known at" has one-second steps in the form: keep the moment clear of both writes.
        time.sleep(1.1)
        before_fix = datetime.now(UTC).replace(microsecond=0)
        time.sleep(1.1)
        _record(
            api,
            events,
            {
                "type": "corrected",
                "corrects": 6,
                "reason": "Bank statement shows 4.5 million",
                "replacement": {"amount": usd("4500000.00")},
            },
        )
        _record(
            api,
            events,
            {"type": "disbursed", "amount": usd("1000000.00"), "effective_date": "2025-03-01"},
        )
        _record(
            api,
            events,
            {"type": "retracted", "retracts": 8, "reason": "Duplicate entry of #6"},
        )
        _record(
            api,
            f"/api/v1/projects/{rail}/events",
            {"type": "committed", "amount": usd("20000000.00"), "effective_date": "2025-02-10"},
        )
        # Signed documents, with long names, so a phone shows the register without scrolling.
        memorandum = _record(
            api,
            "/api/v1/documents",
            {
                "portfolio_id": portfolio,
                "title": "Memorandum of understanding on the construction of a solar park "
                "and a cross-border transmission line <i>phase I</i>",
                "kind": "memorandum",
                "signed_on": "2024-10-22",
                "forum": "Test forum",
                "parties": [
                    "Ministry of Energy of the Republic of Kazakhstan",
                    "Ministry of Energy of the Republic of Uzbekistan",
                    "SolarInvestConsortiumInternationalHoldingLimitedPartnership",
                ],
                "value": usd("25000000.00"),
                "projects": [solar],
                "source": {"title": "Forum communiqué", "url": "https://example.org/communique"},
            },
        )["id"]
        _record(
            api,
            f"/api/v1/documents/{memorandum}/events",
            {"type": "entered_into_force", "effective_date": "2024-12-01"},
        )
        _record(
            api,
            "/api/v1/documents",
            {
                "portfolio_id": portfolio,
                "title": "Roadmap for rail freight",
                "kind": "roadmap",
                "signed_on": "2024-10-22",
                "source": {"title": "Ministry press release"},
            },
        )
        trade = _trade_indicator(api, portfolio)
    return {
        "portfolio": portfolio,
        "solar": solar,
        "rail": rail,
        "before_fix": before_fix,
        "trade": trade,
    }


def _trade_indicator(api: httpx.Client, portfolio: str) -> str:
    """Mutual trade turnover: 2023 and Jan–Aug 2024 against a USD 10 B annual goal."""
    indicator = str(
        _record(
            api,
            f"/api/v1/portfolios/{portfolio}/indicators",
            {"name": "Mutual trade turnover <i>KZ–UZ</i>", "currency": "USD"},
        )["id"]
    )
    source = {"title": "Astana Times, 22 Oct 2024", "url": "https://example.org/trade"}
    for period, amount, day in (
        ({"start": "2023-01-01", "end": "2023-12-31", "kind": "year"}, "4400000000", "2024-02-15"),
        (
            {"start": "2024-01-01", "end": "2024-08-31", "kind": "to_date"},
            "2500000000",
            "2024-10-22",
        ),
    ):
        _record(
            api,
            f"/api/v1/indicators/{indicator}/observations",
            {"period": period, "value": usd(amount), "effective_date": day, "source": source},
        )
    _record(
        api,
        f"/api/v1/indicators/{indicator}/targets",
        {
            "value": usd("10000000000"),
            "target_date": "2030-12-31",
            "per": "year",
            "effective_date": "2025-11-15",
            "source": {"title": "Joint statement, 15 Nov 2025"},
        },
    )
    return indicator


@dataclass
class Watch:
    """What a page did: every request's URL, console errors, uncaught exceptions, dialogs."""

    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("request", lambda request: self.requests.append(request.url))
        page.on(
            "console",
            lambda message: (
                self.errors.append(f"console: {message.text}") if message.type == "error" else None
            ),
        )
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

        def dismiss(dialog: Any) -> None:
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", dismiss)

    def outside_requests(self) -> list[str]:
        outside = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob", "about"):
                continue
            if parts.hostname not in LOCAL_HOSTS:
                outside.append(url)
        return outside


def open_page(browser: Any, watch: Watch, viewport: dict[str, int]) -> Any:
    context = browser.new_context(viewport=viewport, locale="en-GB", timezone_id="UTC")
    page = context.new_page()
    page.set_default_timeout(10_000)
    watch.attach(page)
    return page


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
