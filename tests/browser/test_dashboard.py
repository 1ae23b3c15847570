"""The dashboard in a real browser: the same numbers as the API, for any moment, live."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.browser.harness import ARTIFACTS, Server, Watch, open_page, screenshot

pytestmark = pytest.mark.browser


def expect(*args: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(*args)


def headline(page: Any) -> dict[str, str]:
    """Every exact figure of the headline cards, by name (``committed``, ``jobs-ratio``…)."""
    pairs = page.eval_on_selector_all(
        "#headline data[data-figure]", "els => els.map(e => [e.dataset.figure, e.value])"
    )
    return dict(pairs)


def expected(progress: dict[str, Any]) -> dict[str, str]:
    """The same figures as ``GET /api/v1/portfolios/{id}/progress`` states them."""
    targets = progress["targets"]
    ratios = progress["ratios"]
    return {
        "committed": progress["committed"]["amount"],
        "committed-ratio": ratios["committed_to_target"] or "",
        "committed-target": targets["investment_in_report_currency"],
        "disbursed": progress["disbursed"]["amount"],
        "disbursed-ratio": ratios["disbursed_to_target"] or "",
        "disbursed-target": targets["investment_in_report_currency"],
        "jobs": str(progress["jobs_created"]["total"]),
        "jobs-ratio": ratios["jobs_to_target"] or "",
        "jobs-target": str(targets["jobs"]),
        "projects": str(progress["projects"]),
        "projects-ratio": ratios["projects_to_target"] or "",
        "projects-target": str(targets["projects"]),
        "pledged": progress["pledged"]["amount"],
    }


def progress(server: Server, portfolio: str, **params: str) -> dict[str, Any]:
    with server.api() as api:
        response = api.get(f"/api/v1/portfolios/{portfolio}/progress", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def wait_until_live(page: Any) -> None:
    expect(page.locator("#live-indicator")).to_have_attribute("data-state", "open")


def test_the_default_page_shows_the_first_portfolio_with_the_apis_numbers(
    server: Server, page: Any
) -> None:
    page.goto(server.base_url + "/")
    expect(page.locator("h1")).to_have_text("Kazakhstan–Uzbekistan joint industrial portfolio")
    assert headline(page) == expected(progress(server, server.facts["demo"]))
    # Illustrative data says so, on screen.
    expect(page.locator(".illustrative-banner")).to_contain_text("Illustrative data")
    # Each card names when its target was stated, and the source is on the page.
    expect(page.locator(".card .target-source").first).to_contain_text("Target stated 22 Oct 2024")
    expect(page.locator("#targets-source")).to_contain_text("Samarkand")
    # Breakdowns and the timeline are drawn as inline SVG.
    with server.api() as api:
        sectors = api.get(
            f"/api/v1/portfolios/{server.facts['demo']}/breakdown", params={"by": "sector"}
        ).json()["slices"]
    # The demo's 12 illustrative sectors and those of the reported projects, one row each.
    assert page.locator(".breakdown-sector .breakdown-row").count() == len(sectors) > 12
    assert page.locator(".breakdown-region .breakdown-row").count() >= 10
    assert page.locator(".breakdown-country .breakdown-row").count() == 2
    expect(page.locator(".chart-wide svg.chart")).to_be_visible()
    assert page.locator(".chart-wide circle.marker").count() == 4  # the four statements
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_the_breakdowns_show_the_apis_figures(server: Server, page: Any) -> None:
    page.goto(f"{server.base_url}/portfolios/{server.facts['demo']}")
    with server.api() as api:
        for by in ("sector", "region", "country"):
            report = api.get(
                f"/api/v1/portfolios/{server.facts['demo']}/breakdown", params={"by": by}
            ).json()
            on_page = dict(
                page.eval_on_selector_all(
                    f".breakdown-{by} .breakdown-row",
                    "rows => rows.map(r => [r.dataset.key,"
                    " r.querySelector('data[data-figure=committed]').value])",
                )
            )
            slices = report["slices"]
            assert on_page == {s["key"]: s["figures"]["committed"]["amount"] for s in slices}


def test_as_of_changes_every_figure_as_the_api_says(server: Server, page: Any) -> None:
    portfolio = server.facts["portfolio"]
    page.goto(f"{server.base_url}/portfolios/{portfolio}")
    latest = headline(page)
    assert latest == expected(progress(server, portfolio))

    page.fill("#as_of", "2024-12-31")
    page.click("#view button[type=submit]")
    page.wait_for_url(re.compile(r"as_of=2024-12-31"))
    then = headline(page)
    assert then == expected(progress(server, portfolio, as_of="2024-12-31"))
    assert then["disbursed"] == "10000000.00" != latest["disbursed"]
    # The restatement of 2025 was not yet in force.
    assert then["committed-target"] == "100000000.00"
    assert "known_at" not in page.url  # empty fields stay out of a shared link
    expect(page.locator("#moment-summary")).to_contain_text("31 Dec 2024")

    # The URL is the view: opening it afresh shows the same figures.
    shared = page.url
    page.goto(shared)
    assert headline(page) == then
    expect(page.locator("#as_of")).to_have_value("2024-12-31")


def test_known_at_shows_the_figures_as_recorded_then(server: Server, page: Any) -> None:
    portfolio = server.facts["portfolio"]
    before_fix: datetime = server.facts["before_fix"]
    page.goto(f"{server.base_url}/portfolios/{portfolio}")
    page.fill("#known_at", before_fix.strftime("%Y-%m-%dT%H:%M:%S"))
    page.click("#view button[type=submit]")
    page.wait_for_url(re.compile(r"known_at="))
    then = headline(page)
    assert then == expected(progress(server, portfolio, known_at=before_fix.isoformat()))
    # Before the correction was recorded, the 5 million had not yet become 4.5 million.
    assert then["disbursed"] == "15000000.00"
    assert expected(progress(server, portfolio))["disbursed"] == "14500000.00"
    expect(page.locator("#moment-summary")).to_contain_text("known at")
    expect(page.locator("#live-indicator")).to_contain_text("Past record")


def test_an_event_recorded_elsewhere_appears_without_a_reload(server: Server, page: Any) -> None:
    portfolio = server.facts["portfolio"]
    page.goto(f"{server.base_url}/portfolios/{portfolio}")
    wait_until_live(page)
    page.evaluate("window.__sameDocument = 'yes'")
    before = headline(page)["disbursed"]

    with server.api() as api:
        response = api.post(
            f"/api/v1/projects/{server.facts['rail']}/events",
            json={"type": "disbursed", "amount": {"amount": "2000000.00", "currency": "USD"}},
        )
        assert response.status_code == 201, response.text
    now = expected(progress(server, portfolio))
    assert now["disbursed"] != before

    figure = page.locator("#headline data[data-figure=disbursed]")
    expect(figure).to_have_attribute("value", now["disbursed"], timeout=5_000)
    assert headline(page) == now
    assert page.evaluate("window.__sameDocument") == "yes", "the page was reloaded"
    expect(page.locator("#live-status")).to_contain_text("Updated")


def test_the_project_table_filters_and_sorts_like_the_api(server: Server, page: Any) -> None:
    demo = server.facts["demo"]
    page.goto(f"{server.base_url}/portfolios/{demo}")
    page.select_option("#sector", "energy")
    page.fill("#q", "solar")
    page.select_option("#sort", "title")
    page.click("#page-filters button[type=submit]")
    page.wait_for_url(re.compile(r"sector=energy"))
    assert "q=solar" in page.url and "sort=title" in page.url
    with server.api() as api:
        listed = api.get(
            "/api/v1/projects",
            params={"portfolio": demo, "sector": "energy", "q": "solar", "sort": "title"},
        ).json()["items"]
    assert listed, "the demo has solar parks"
    rows = page.eval_on_selector_all(
        ".project-table tbody tr", "rows => rows.map(r => r.dataset.projectId)"
    )
    assert rows == [item["id"] for item in listed]
    expect(page.locator("[data-figure=matching]")).to_have_attribute("value", str(len(listed)))
    # Sorting by a column header keeps the filters.
    page.click("th >> text=Planned investment")
    page.wait_for_url(re.compile(r"sort=-planned_investment"))
    assert "sector=energy" in page.url


def test_stale_projects_are_called_out_as_the_api_lists_them(server: Server, page: Any) -> None:
    demo = server.facts["demo"]
    page.goto(f"{server.base_url}/portfolios/{demo}")
    expect(page.locator("#stale_days")).to_have_value("180")
    page.fill("#stale_days", "400")
    page.click(".inline-control button[type=submit]")
    page.wait_for_url(re.compile(r"stale_days=400"))
    with server.api() as api:
        stale = api.get(f"/api/v1/portfolios/{demo}/stale", params={"days": 400}).json()
    count = len(stale["items"])
    assert count > 0, "the demo has projects silent for over 400 days"
    expect(page.locator("[data-figure=stale-count]")).to_have_attribute("value", str(count))
    shown = page.eval_on_selector_all(
        ".stale-list a", "links => links.map(a => a.getAttribute('href'))"
    )
    assert shown == [f"/projects/{item['id']}" for item in stale["items"]]

    # A short silence on the story's portfolio: the page counts what the API lists (which of
    # its projects had news lately depends on the tests that ran before, so no fixed number).
    story = server.facts["portfolio"]
    page.goto(f"{server.base_url}/portfolios/{story}?stale_days=30")
    with server.api() as api:
        recent = api.get(f"/api/v1/portfolios/{story}/stale", params={"days": 30}).json()
    expect(page.locator("[data-figure=stale-count]")).to_have_attribute(
        "value", str(len(recent["items"]))
    )


def test_user_text_is_shown_as_text_never_run(server: Server, page: Any, watch: Watch) -> None:
    page.goto(f"{server.base_url}/portfolios/{server.facts['portfolio']}?rows=all")
    expect(page.locator("h1")).to_have_text("Browser test portfolio <b>&amp;</b>")
    expect(page.locator(".project-table")).to_contain_text("Solar park <script>alert('x')</script>")
    assert watch.dialogs == []


def test_the_project_page_shows_corrections_and_retractions_with_reasons(
    server: Server, page: Any
) -> None:
    solar = server.facts["solar"]
    page.goto(f"{server.base_url}/projects/{solar}")
    with server.api() as api:
        figures = api.get(f"/api/v1/projects/{solar}").json()
        history = api.get(f"/api/v1/projects/{solar}/events").json()["events"]

    disbursed = page.eval_on_selector_all(
        "#project-figures data[data-figure=disbursed]", "els => els.map(e => e.value)"
    )
    assert disbursed == [m["amount"] for m in figures["disbursed"]]
    versions = page.eval_on_selector_all(".events > li", "els => els.map(e => e.dataset.version)")
    assert versions == [str(e["version"]) for e in history]

    corrected = page.locator("#event-6")
    expect(corrected).to_have_class(re.compile(r"\bis-corrected\b"))
    expect(corrected).to_contain_text("Corrected by #7")
    expect(corrected).to_contain_text("Bank statement shows 4.5 million")
    correction = page.locator("#event-7")
    expect(correction).to_contain_text("Corrects #6")
    expect(correction).to_contain_text("USD 4,500,000.00")

    retracted = page.locator("#event-8")
    expect(retracted).to_have_class(re.compile(r"\bis-retracted\b"))
    expect(retracted).to_contain_text("Retracted")
    expect(retracted).to_contain_text("Duplicate entry of #6")

    committed = page.locator("#event-3")
    expect(committed).to_contain_text("browser-tests")  # who
    expect(committed).to_contain_text("1 Jun 2024")  # effective
    expect(committed.locator("a[href='https://example.org/agreement']")).to_have_text(
        "Signed agreement"
    )
    recorded = datetime.fromisoformat(history[2]["recorded_at"].replace("Z", "+00:00"))
    expect(committed.locator("time").nth(1)).to_have_attribute(
        "datetime", recorded.astimezone(UTC).isoformat()
    )


def test_the_project_page_updates_live(server: Server, page: Any) -> None:
    rail = server.facts["rail"]
    page.goto(f"{server.base_url}/projects/{rail}")
    wait_until_live(page)
    count = page.locator(".events > li").count()
    with server.api() as api:
        response = api.post(
            f"/api/v1/projects/{rail}/events",
            json={"type": "milestone", "name": "Tracks laid", "effective_date": "2025-06-01"},
        )
        assert response.status_code == 201, response.text
    expect(page.locator(".events > li")).to_have_count(count + 1, timeout=5_000)
    expect(page.locator(".events > li").last).to_contain_text("Tracks laid")


def test_an_empty_tracker_says_how_to_load_the_demo_then_shows_the_first_portfolio(
    empty_server: Server, page: Any
) -> None:
    page.goto(empty_server.base_url + "/")
    expect(page.locator("h1")).to_have_text("No portfolio has been recorded yet")
    expect(page.locator("main")).to_contain_text("tracker demo")
    wait_until_live(page)
    with empty_server.api() as api:
        response = api.post(
            "/api/v1/portfolios",
            json={"name": "Newly established", "forum": "Forum", "established_on": "2025-01-01"},
        )
        assert response.status_code == 201, response.text
    expect(page.locator("h1")).to_have_text("Newly established", timeout=5_000)
    expect(page.locator("[data-figure=projects]")).to_have_attribute("value", "0")


def test_unknown_pages_say_so(server: Server, browser: Any) -> None:
    watch = Watch()
    page = open_page(browser, watch, {"width": 1280, "height": 900})
    try:
        response = page.goto(f"{server.base_url}/projects/00000000-0000-0000-0000-000000000000")
        assert response is not None and response.status == 404
        expect(page.locator("h1")).to_have_text("Not found")
    finally:
        page.context.close()
    assert watch.outside_requests() == []


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_screenshots_and_no_horizontal_scrolling(server: Server, browser: Any, width: int) -> None:
    """Saved under test-artifacts/ for a person to look at; a phone never scrolls sideways."""
    watch = Watch()
    page = open_page(browser, watch, {"width": width, "height": 900 if width > 600 else 844})
    name = "desktop" if width > 600 else "phone"
    try:
        page.goto(f"{server.base_url}/")
        wait_until_live(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, f"dashboard-{name}")
        page.goto(f"{server.base_url}/projects/{server.facts['solar']}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, f"project-{name}")
        page.goto(f"{server.base_url}/portfolios/{server.facts['portfolio']}?as_of=2024-12-31")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, f"dashboard-as-of-{name}")
        documents = page.locator("#documents")
        expect(documents.locator("[data-document-id]")).to_have_count(2)
        box = documents.bounding_box()
        assert box is not None and box["x"] + box["width"] <= width
        documents.screenshot(path=str(ARTIFACTS / f"documents-{name}.png"))
        page.goto(f"{server.base_url}/portfolios/{server.facts['portfolio']}#indicators")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        card = page.locator(f"#indicator-{server.facts['trade']}")
        assert card.locator("svg.chart").count() == 1
        box = card.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
        card.screenshot(path=str(ARTIFACTS / f"indicator-card-{name}.png"))
    finally:
        page.context.close()
    assert watch.outside_requests() == []
    assert watch.errors == []


def test_every_control_has_a_label(server: Server, page: Any) -> None:
    page.goto(f"{server.base_url}/portfolios/{server.facts['demo']}")
    unlabelled = page.eval_on_selector_all(
        "input:not([type=hidden]), select",
        "els => els.filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))"
        ".map(e => e.id || e.name)",
    )
    assert unlabelled == []


def test_the_cite_link_shows_the_same_figures_after_more_is_recorded(
    server: Server, page: Any
) -> None:
    portfolio = server.facts["portfolio"]
    page.goto(f"{server.base_url}/portfolios/{portfolio}?as_of=2025-12-31")
    read = headline(page)
    page.locator("#card-disbursed .cite-link").click()
    page.wait_for_url(re.compile(r"known_at=.*#card-disbursed$"))
    cited_url = page.url
    assert "as_of=2025-12-31" in cited_url
    assert headline(page) == read
    expect(page.locator("#moment-banner")).to_contain_text("as known on")

    with server.api() as api:
        response = api.post(
            f"/api/v1/projects/{server.facts['rail']}/events",
            json={
                "type": "disbursed",
                "amount": {"amount": "1000000.00", "currency": "USD"},
                "effective_date": "2025-06-01",
            },
        )
        assert response.status_code == 201, response.text
    assert (
        expected(progress(server, portfolio, as_of="2025-12-31"))["disbursed"] != read["disbursed"]
    )
    page.goto(cited_url)
    assert headline(page) == read
    page.locator("#moment-banner a[data-link=known-today]").click()
    page.wait_for_url(re.compile(r"^(?!.*known_at=)"))
    assert headline(page)["disbursed"] != read["disbursed"]
