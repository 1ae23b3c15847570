"""Browser tests: the real app under uvicorn on a fresh SQLite file, driven by Debian's Chromium.

Skipped with the reason when Playwright or Chromium is missing, unless
``TRACKER_REQUIRE_BROWSER=1`` (as CI sets it), which turns the skip into a failure. Chromium is
launched as installed (``/usr/bin/chromium``, or ``TRACKER_CHROMIUM``): nothing is downloaded.
Every page records its requests and console; a test fails if any request leaves localhost or
anything is logged as an error.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    Server,
    Watch,
    load_story,
    open_page,
    require_browser,
    start_server,
    stop_server,
)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app with the illustrative demo (the default portfolio) and a small story."""
    require_browser()
    running = start_server(tmp_path_factory.mktemp("browser"), demo=True)
    try:
        running.facts.update(load_story(running))
        with running.api() as api:
            running.facts["demo"] = next(
                item["portfolio_id"]
                for item in api.get("/api/v1/projects", params={"limit": 500}).json()["items"]
                if item["illustrative"]
            )
        yield running
    finally:
        stop_server(running)


@pytest.fixture(scope="session")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The app on a migrated database that holds nothing yet."""
    require_browser()
    running = start_server(tmp_path_factory.mktemp("browser-empty"), demo=False)
    try:
        yield running
    finally:
        stop_server(running)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def page(browser: Any, watch: Watch) -> Iterator[Any]:
    """A desktop-sized page; afterwards, no console error and no request off this machine."""
    opened = open_page(browser, watch, DESKTOP)
    try:
        yield opened
    finally:
        opened.context.close()
    assert watch.outside_requests() == [], "requests left localhost"
    assert watch.errors == [], "the page logged errors"
    assert watch.dialogs == [], "the page opened dialogs (was user text run as script?)"


@pytest.fixture
def phone(browser: Any, watch: Watch) -> Iterator[Any]:
    opened = open_page(browser, watch, PHONE)
    try:
        yield opened
    finally:
        opened.context.close()
    assert watch.outside_requests() == [], "requests left localhost"
    assert watch.errors == [], "the page logged errors"
