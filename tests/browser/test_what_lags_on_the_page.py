"""What lags, in a real browser: the page's filters drive the headline and the map, and the
map says the API's shares; nothing overflows a phone."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.harness import ARTIFACTS, Server, Watch, open_page

pytestmark = pytest.mark.browser
#: The demo's whole page (every report, the map, the table) on a busy two-core machine.
PAGE_TIMEOUT = 60_000


def api(server: Server, kind: str, **params: str) -> dict[str, Any]:
    with server.api() as client:
        response = client.get(f"/api/v1/portfolios/{server.facts['demo']}/{kind}", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def committed(page: Any) -> str:
    return str(page.get_attribute("#headline data[data-figure=committed]", "value"))


def map_shares(page: Any) -> dict[str, str]:
    pairs = page.eval_on_selector_all(
        "#map g[data-region]", "gs => gs.map(g => [g.dataset.region, g.dataset.share])"
    )
    return dict(pairs)


def expected_map(server: Server, figure: str = "committed", **params: str) -> dict[str, str]:
    """Each region's share of plan as the API's region breakdown says it ("" for none)."""
    shown = {}
    for piece in api(server, "breakdown", by="region", **params)["slices"]:
        share = piece["shares_of_plan"][f"{figure}_to_plan"]
        shown[piece["key"]] = share or ""
    return shown


def test_a_filter_changes_the_headline_and_the_map_as_the_api_says(
    server: Server, page: Any
) -> None:
    page.set_default_timeout(PAGE_TIMEOUT)
    page.goto(f"{server.base_url}/portfolios/{server.facts['demo']}")
    before_headline, before_map = committed(page), map_shares(page)
    assert before_headline == api(server, "progress")["committed"]["amount"]
    assert len(before_map) == 34  # every region of both countries
    want = expected_map(server)
    assert {k: v for k, v in before_map.items() if k in want} == {
        k: v for k, v in want.items() if k in before_map
    }
    page.select_option("#sector", "energy")
    page.click("#page-filters button[type=submit]")
    page.wait_for_url(re.compile(r"sector=energy"))
    after_headline, after_map = committed(page), map_shares(page)
    assert after_headline == api(server, "progress", sector="energy")["committed"]["amount"]
    assert after_headline != before_headline
    want = expected_map(server, sector="energy")
    assert after_map != before_map
    for region, share in after_map.items():
        assert share == want.get(region, ""), region  # a region without energy: no share
    # The measure switches the map to jobs, still for energy.
    page.select_option("#figure", "jobs")
    page.click(".breakdown-control button[type=submit]")
    page.wait_for_url(re.compile(r"figure=jobs"))
    assert "sector=energy" in page.url
    want = expected_map(server, "jobs", sector="energy")
    assert map_shares(page) == {region: want.get(region, "") for region in after_map}
    # Colour is not the only carrier: every square writes its value.
    values = page.eval_on_selector_all("#map .map-value", "ts => ts.map(t => t.textContent)")
    assert len(values) == 34 and all(v == "—" or v.endswith("%") for v in values)


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_filtered_pages_with_the_map_never_scroll_sideways(
    server: Server, browser: Any, width: int
) -> None:
    watch = Watch()
    page = open_page(browser, watch, {"width": width, "height": 900})
    page.set_default_timeout(PAGE_TIMEOUT)
    name = "desktop" if width > 600 else "phone"
    try:
        page.goto(
            f"{server.base_url}/portfolios/{server.facts['demo']}"
            "?sector=energy&country=UZ&rank=shortfall&interval=month"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        for part in ("#page-filters", "#map", "#breakdowns", "#timeline"):
            box = page.locator(part).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, part
        page.locator("#map").screenshot(path=str(ARTIFACTS / f"region-map-{name}.png"))
        page.locator("#breakdowns").screenshot(path=str(ARTIFACTS / f"what-lags-{name}.png"))
    finally:
        page.context.close()
    assert watch.outside_requests() == []
    assert watch.errors == []
