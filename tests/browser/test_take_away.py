"""Figures to take away, in a real browser: the portfolio page prints as a one-page brief
without its controls, and each view's download links give the figures on the page."""

from __future__ import annotations

import csv
import io
import re
import struct
from pathlib import Path
from typing import Any

import pytest

from tests.browser.harness import ARTIFACTS, Server

pytestmark = pytest.mark.browser

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def expect(*args: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(*args)


@pytest.fixture
def patient(page: Any) -> Any:
    """The page, allowed the time a whole portfolio page takes on a busy 2-core machine."""
    page.set_default_timeout(60_000)
    return page


def pdf_pages(pdf: bytes) -> int:
    """The number of pages of a PDF as Chromium writes it (one ``/Type /Page`` object each)."""
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def test_the_portfolio_page_prints_as_a_one_page_brief_without_its_controls(
    server: Server, patient: Any
) -> None:
    page = patient
    page.goto(server.base_url + "/")
    expect(page.locator("#live-indicator")).to_have_attribute("data-state", "open")
    expect(page.locator("#view")).to_be_visible()
    page.emulate_media(media="print")
    for hidden in (
        "#view",
        "#live-indicator",
        "#language-switch",
        ".filters",
        ".layer-control",
        "[data-downloads=headline]",
        "#timeline",
        "#projects-title",
        ".site-footer",
    ):
        expect(page.locator(hidden).first).to_be_hidden()
    for shown in ("#headline", "#card-committed", "#card-projects", "#last-updated"):
        expect(page.locator(shown)).to_be_visible()
    meta = page.locator("#print-meta")
    expect(meta).to_be_visible()
    expect(meta).to_contain_text(server.base_url + "/?known_at=")
    # Legend and bar colours are printed as on screen, not dropped as backgrounds.
    swatch = page.locator("#card-jobs .swatch").first
    assert swatch.evaluate("e => getComputedStyle(e).printColorAdjust") == "exact"
    pdf = page.pdf(format="A4", print_background=True)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "portfolio-brief.pdf").write_bytes(pdf)
    assert pdf_pages(pdf) == 1

    # On screen the page keeps every view: the brief is the print stylesheet's doing.
    page.emulate_media(media="screen")
    expect(page.locator("#timeline")).to_be_visible()


def test_a_project_page_prints_without_its_controls(server: Server, patient: Any) -> None:
    page = patient
    page.goto(f"{server.base_url}/projects/{server.facts['solar']}")
    page.emulate_media(media="print")
    expect(page.locator("#view")).to_be_hidden()
    expect(page.locator("#audit-trail")).to_be_visible()
    expect(page.locator("#print-meta")).to_contain_text(f"/projects/{server.facts['solar']}")


def test_each_view_links_to_its_downloads_which_hold_the_pages_figures(
    server: Server, patient: Any
) -> None:
    page = patient
    demo = server.facts["demo"]
    page.goto(f"{server.base_url}/portfolios/{demo}?as_of=2025-06-30&sector=energy&rows=all")
    views = page.eval_on_selector_all(
        "[data-downloads]", "els => els.map(e => e.dataset.downloads)"
    )
    wanted = {"headline", "timeline", "projects", "documents", "statements", "indicators"}
    assert wanted | {f"breakdown-{by}" for by in ("country", "sector", "region")} <= set(views)
    link = page.locator("[data-downloads=projects] [data-download=csv]")
    assert "as_of=2025-06-30" in (href := link.get_attribute("href") or "")
    assert "sector=energy" in href
    with page.expect_download() as download:
        link.click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text("utf-8-sig"))))
    shown = page.eval_on_selector_all(
        "tr[data-project-id]", "rows => rows.map(r => r.dataset.projectId)"
    )
    assert [r["Id"] for r in rows] == shown and shown
    assert {r["Sector"] for r in rows} == {"Energy"}

    with page.expect_download() as download:
        page.locator("[data-downloads=headline] [data-download=xlsx]").click()
    assert download.value.suggested_filename == "figures-headline-as-of-2025-06-30.xlsx"

    # A chart as PNG, drawn by the browser from the SVG at twice its size.
    with page.expect_download() as download:
        page.locator("[data-downloads=timeline] [data-png]").click()
    png = Path(download.value.path()).read_bytes()
    assert png[:8] == PNG_MAGIC
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (2080, 640)
    assert download.value.suggested_filename == "timeline.png"
