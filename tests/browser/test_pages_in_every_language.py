"""Every page in every language, at a desktop's and a phone's width: ``<html lang>`` says the
language, nothing scrolls sideways, and the page's own words (headings, labels, table heads,
buttons) are not left in English. The switch in the header sets the language for later pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.harness import Server, Watch, open_page, screenshot
from tracker.i18n import LANGUAGES

WIDTHS = {"desktop": 1280, "phone": 390}
#: The page's own words: whatever is data (titles, names, sources) is not among these.
CHROME = "h2, label, th, button, legend, summary, .eyebrow, .skip-link, .brand"
MISSING = "00000000-0000-4000-8000-000000000000"


#: Words that are the same in every language: a currency code, a file format's name.
NAMES_IN_EVERY_LANGUAGE = ("USD", "PNG")


def _paths(server: Server) -> dict[str, str]:
    facts = server.facts
    return {
        "home": "/",
        "portfolio-past": f"/portfolios/{facts['portfolio']}?as_of=2024-12-31",
        "project": f"/projects/{facts['solar']}",
        "not-found": f"/projects/{MISSING}",
    }


def _words(page: Any) -> list[str]:
    texts: list[str] = page.locator(CHROME).evaluate_all(
        "nodes => nodes.map(n => n.textContent.replace(/\\s+/g, ' ').trim())"
    )
    return texts


@pytest.fixture(scope="module")
def english(server: Server, empty_server: Server, browser: Any) -> Iterator[dict[str, list[str]]]:
    """The page's own words in English, page by page, to compare the others with."""
    watch = Watch()
    page = _open(browser, watch, 1280)
    words = {}
    try:
        for name, path in _paths(server).items():
            _visit(page, server.base_url, path, "en")
            words[name] = _words(page)
        _visit(page, empty_server.base_url, "/", "en")
        words["empty"] = _words(page)
    finally:
        page.context.close()
    yield words


def _open(browser: Any, watch: Watch, width: int) -> Any:
    page = open_page(browser, watch, {"width": width, "height": 900 if width > 600 else 844})
    page.set_default_timeout(120_000)  # a first rendering on a busy machine is slow, not wrong
    return page


def _visit(page: Any, base: str, path: str, lang: str) -> None:
    joined = f"{path}&lang={lang}" if "?" in path else f"{path}?lang={lang}"
    page.goto(f"{base}{joined}", wait_until="domcontentloaded")


def _check(page: Any, lang: str, width: int, english_words: list[str], name: str) -> None:
    assert page.evaluate("document.documentElement.lang") == lang
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    if lang == "en":
        return
    words = _words(page)
    assert len(words) == len(english_words), name
    same = [
        en
        for en, here in zip(english_words, words, strict=True)
        if en == here and any(c.isalpha() for c in en) and en not in NAMES_IN_EVERY_LANGUAGE
    ]
    assert not same, f"{name} in {lang} keeps English: {same}"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_every_page_in_every_language(
    server: Server,
    empty_server: Server,
    browser: Any,
    english: dict[str, list[str]],
    lang: str,
    width: int,
) -> None:
    watch = Watch()
    page = _open(browser, watch, width)
    try:
        for name, path in _paths(server).items():
            _visit(page, server.base_url, path, lang)
            _check(page, lang, width, english[name], name)
        screenshot(page, f"not-found-{lang}-{width}")
        _visit(page, server.base_url, "/", lang)
        screenshot(page, f"dashboard-{lang}-{width}")
        _visit(page, empty_server.base_url, "/", lang)
        _check(page, lang, width, english["empty"], "empty")
    finally:
        page.context.close()
    # The not-found page is answered 404 on purpose; the browser logs that, nothing else.
    assert [e for e in watch.errors if "status of 404" not in e] == [], "the page logged errors"
    assert watch.outside_requests() == []


def test_the_switch_sets_the_language_of_later_pages(server: Server, browser: Any) -> None:
    watch = Watch()
    page = _open(browser, watch, 390)
    try:
        page.goto(f"{server.base_url}/projects/{server.facts['solar']}")
        assert page.evaluate("document.documentElement.lang") == "en"
        page.locator("#language-switch a[data-lang=kk]").click()
        page.wait_for_function("document.documentElement.lang === 'kk'")
        assert f"/projects/{server.facts['solar']}" in page.url  # the same page
        page.goto(f"{server.base_url}/")
        assert page.evaluate("document.documentElement.lang") == "kk"
        assert (
            page.locator("#language-switch a[aria-current=true]").get_attribute("data-lang") == "kk"
        )
    finally:
        page.context.close()
    assert watch.errors == []
