"""What changed, in a real browser: the compare view and the portfolio's last 30 days.

The compare view of two moments must equal two separate reads of the progress report and
the events ``GET /api/v1/portfolios/{id}/changes`` lists; its defaults are what was reported
at the last forum (the demo's Samarkand forum, whose UZS rate was corrected three weeks
later: a rate move among the causes) against now. Nothing overflows at 1280 or 390 px.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.browser.harness import Server, Watch, open_page, screenshot

pytestmark = pytest.mark.browser


def expect(*args: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(*args)


def api_get(server: Server, path: str, **params: str) -> dict[str, Any]:
    with server.api() as api:
        response = api.get(path, params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def shown(page: Any) -> dict[str, str]:
    pairs = page.eval_on_selector_all(
        "#compare-figures data[data-figure]", "els => els.map(e => [e.dataset.figure, e.value])"
    )
    return dict(pairs)


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_the_compare_view_equals_two_api_reads_and_their_events(
    server: Server, browser: Any, width: int
) -> None:
    watch = Watch()
    page = open_page(browser, watch, {"width": width, "height": 900 if width > 600 else 844})
    # The demo's portfolio page and a comparison over two years of it compute several
    # reports each: on a busy 2-core machine they take longer than the harness's 10 s.
    page.set_default_timeout(30_000)
    name = "desktop" if width > 600 else "phone"
    portfolio = server.facts["demo"]
    try:
        page.goto(f"{server.base_url}/portfolios/{portfolio}")
        page.locator("#compare-link").click()
        expect(page.locator("h1")).to_have_text("What changed")
        expect(page.locator("#compare-moments")).to_contain_text("forum of 22 Oct 2024")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, f"compare-{name}")

        # The moments the view compared, as the API link on the page names them.
        link = page.locator("#compare-figures a[href^='/api/v1/']").get_attribute("href")
        asked = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
        assert asked["as_of_from"] == "2024-10-22"
        assert asked["known_from"].startswith("2024-10-22T23:59:59")
        body = api_get(server, f"/api/v1/portfolios/{portfolio}/changes", **asked)
        start = api_get(
            server,
            f"/api/v1/portfolios/{portfolio}/progress",
            as_of=asked["as_of_from"],
            known_at=asked["known_from"],
        )
        end = api_get(server, f"/api/v1/portfolios/{portfolio}/progress")
        figures = shown(page)
        for figure in ("committed", "disbursed", "pledged"):
            assert figures[f"{figure}-start"] == start[figure]["amount"], figure
            assert figures[f"{figure}-end"] == end[figure]["amount"], figure
        assert figures["projects-start"] == str(start["projects"])
        assert figures["projects-end"] == str(end["projects"])
        assert figures["jobs_permanent-end"] == str(end["jobs_created"]["permanent"])

        # Each row's causes add up to its change, and the rate corrected after the forum is one.
        for row in page.locator("tr[data-figure-row]").all():
            amounts = row.locator("[data-cause-amount]").evaluate_all(
                "els => els.map(e => e.dataset.causeAmount)"
            )
            if amounts:
                difference = row.locator("data[data-figure$='-difference']").get_attribute("value")
                assert sum(map(Decimal, amounts)) == Decimal(difference)
        every = api_get(
            server, f"/api/v1/portfolios/{portfolio}/changes", **asked, contributions="500"
        )
        moves = [
            move["currency"]
            for f in every["figures"]
            for c in f["contributions"]
            for move in c["cause"]["rates"]
        ]
        assert "UZS" in moves  # the rate corrected after the forum moved the figures

        # The events recorded in between are the API's, newest first.
        listed = page.locator("#compare-events [data-position]").evaluate_all(
            "els => els.map(e => Number(e.dataset.position))"
        )
        assert listed and listed == [e["position"] for e in body["events"]][: len(listed)]
        shown_figures = {k.rsplit("-", 1)[0] for k in figures}
        assert {f["figure"] for f in body["figures"] if not f["unconverted"]} <= shown_figures

        # Narrowed by a status, the view is still two API reads with that status.
        status = max(end["projects_by_status"], key=end["projects_by_status"].get)
        page.goto(
            f"{server.base_url}/portfolios/{portfolio}/compare?"
            + urlencode({**asked, "status": status})
        )
        narrowed = shown(page)
        for at, params in (
            ("start", {"as_of": asked["as_of_from"], "known_at": asked["known_from"]}),
            ("end", {}),
        ):
            report = api_get(
                server, f"/api/v1/portfolios/{portfolio}/progress", status=status, **params
            )
            assert narrowed[f"committed-{at}"] == report["committed"]["amount"], at
            assert narrowed[f"projects-{at}"] == str(report["projects"]), at
    finally:
        page.context.close()
    assert watch.outside_requests() == []
    assert watch.errors == []


def test_the_portfolio_page_lists_the_last_30_days_newest_first(server: Server, page: Any) -> None:
    """The story's events were recorded just now: each is listed, linked to its project."""
    portfolio = server.facts["portfolio"]
    page.goto(f"{server.base_url}/portfolios/{portfolio}")
    activity = page.locator("#activity")
    expect(activity.locator("h2")).to_have_text("Recorded in the last 30 days")
    times = activity.locator("time").evaluate_all("els => els.map(e => e.dateTime)")
    assert times and times == sorted(times, reverse=True)
    assert activity.locator("li").count() > 1
    link = activity.locator("li a").first  # the latest event of a project
    href = link.get_attribute("href")
    assert href is not None and href.startswith("/projects/")
    link.click()
    expect(page.locator(".breadcrumb")).to_contain_text("Project")
