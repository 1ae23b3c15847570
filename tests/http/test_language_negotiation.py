"""The reader's language over HTTP: ``?lang=``, then the cookie the switch sets, then
``Accept-Language``; pages say it in ``<html lang>``; problem+json speaks it; data does not."""

from __future__ import annotations

import re

from litestar.testing import TestClient

from tracker.i18n import LANGUAGES

HTML_LANG = re.compile(r'<html lang="([a-z]+)">')


def _lang(html: str) -> str:
    found = HTML_LANG.search(html)
    assert found, html[:200]
    return found.group(1)


def test_english_by_default(anonymous_client: TestClient) -> None:  # type: ignore[type-arg]
    page = anonymous_client.get("/")
    assert _lang(page.text) == "en"
    assert "No portfolio has been recorded yet" in page.text
    assert page.headers["content-language"] == "en"
    assert "set-cookie" not in page.headers


def test_accept_language_chooses(anonymous_client: TestClient) -> None:  # type: ignore[type-arg]
    page = anonymous_client.get("/", headers={"Accept-Language": "de, kk;q=0.8, ru;q=0.5"})
    assert _lang(page.text) == "kk"


def test_the_switch_sets_a_cookie_that_later_pages_follow(
    anonymous_client: TestClient,  # type: ignore[type-arg]
) -> None:
    page = anonymous_client.get("/?lang=uz", headers={"Accept-Language": "ru"})
    assert _lang(page.text) == "uz"
    assert "lang=uz" in page.headers["set-cookie"]
    for code in LANGUAGES:  # the switch offers every language, the current one marked
        assert f'data-lang="{code}"' in page.text
    assert 'data-lang="uz" aria-current="true"' in page.text
    later = anonymous_client.get("/", headers={"Accept-Language": "ru"})
    assert _lang(later.text) == "uz"  # the cookie wins over the header
    again = anonymous_client.get("/?lang=ru")
    assert _lang(again.text) == "ru"  # ?lang= wins over the cookie


def test_an_unknown_language_is_english(anonymous_client: TestClient) -> None:  # type: ignore[type-arg]
    page = anonymous_client.get("/?lang=xx", headers={"Accept-Language": "fr"})
    assert _lang(page.text) == "en"
    assert "set-cookie" not in page.headers


def test_a_page_that_is_not_there_speaks_the_language(
    anonymous_client: TestClient,  # type: ignore[type-arg]
) -> None:
    page = anonymous_client.get(
        "/projects/00000000-0000-4000-8000-000000000000", headers={"Accept-Language": "ru"}
    )
    assert page.status_code == 404
    assert _lang(page.text) == "ru"


def test_problems_speak_the_language_asked_for(client: TestClient) -> None:  # type: ignore[type-arg]
    missing = "/api/v1/projects/00000000-0000-4000-8000-000000000000"
    english = client.get(missing)
    assert english.json()["title"] == "Not found"
    russian = client.get(missing, headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert russian.status_code == 404
    assert russian.headers["content-type"].startswith("application/problem+json")
    assert russian.json()["title"] == "Не найдено"
    assert russian.json()["type"] == english.json()["type"]  # what a program reads stays
    assert client.get(f"{missing}?lang=uz").json()["title"] == "Topilmadi"
    assert "set-cookie" not in russian.headers  # the API remembers nothing


def test_a_problem_raised_before_the_handler_speaks_it(
    anonymous_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """A write without a key is refused by a middleware, outside the request's own."""
    refused = anonymous_client.post(
        "/api/v1/portfolios", json={}, headers={"Accept-Language": "kk"}
    )
    assert refused.status_code == 401
    assert refused.json()["title"] == "Авторизация қажет"


def test_data_stays_as_recorded(client: TestClient, portfolio_id: str) -> None:  # type: ignore[type-arg]
    english = client.get(f"/api/v1/portfolios/{portfolio_id}").json()
    russian = client.get(
        f"/api/v1/portfolios/{portfolio_id}", headers={"Accept-Language": "ru"}
    ).json()
    assert russian == english


def test_the_problem_pages_speak_the_readers_language(
    anonymous_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """``/problems`` and each type's page: ``?lang=``, the cookie, ``Accept-Language``."""
    english = anonymous_client.get("/problems/invalid-value")
    assert _lang(english.text) == "en"
    assert "Unprocessable content" in english.text
    russian = anonymous_client.get("/problems/invalid-value", headers={"Accept-Language": "ru"})
    assert _lang(russian.text) == "ru"
    assert "Содержимое не может быть обработано" in russian.text
    assert "Значение записано верно, но нарушает правило" in russian.text
    assert "Статус HTTP 422." in russian.text
    assert "Unprocessable" not in russian.text
    kazakh = anonymous_client.get("/problems?lang=kk")
    assert _lang(kazakh.text) == "kk"
    assert "Мәселе түрлері" in kazakh.text and "Табылмады" in kazakh.text
    uzbek = anonymous_client.get("/problems/busy?lang=uz")
    assert _lang(uzbek.text) == "uz" and "Server band" in uzbek.text
    assert "lang=uz" in uzbek.headers["set-cookie"]
    later = anonymous_client.get("/problems/not-found")  # the cookie is remembered
    assert _lang(later.text) == "uz" and "Topilmadi" in later.text
