"""A project's title in the reader's language, over HTTP on both databases: given with
``POST /api/v1/projects/{id}/titles``, listed in ``titles`` as known at the read's moment,
shown on the dashboard (table, stale list, project heading, downloads) to a reader of that
language, the title as entered to the others."""

from __future__ import annotations

import csv
import io
import re
import time
from typing import Any

from litestar.testing import TestClient

from tests.http.conftest import make_key, project_body
from tracker.keys import Role
from tracker.settings import Settings

Client = TestClient  # type: ignore[type-arg]
RU = "Завод медных катодов"
HEADING = re.compile(r"<h1>(.*?)</h1>", re.S)


def give(client: Client, project: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(f"/api/v1/projects/{project}/titles", json=body, headers=headers)


def titles(client: Client, project: str, **params: str) -> dict[str, str]:
    response = client.get(f"/api/v1/projects/{project}", params=params)
    assert response.status_code == 200, response.text
    assert response.json()["title"] == "Copper cathode plant"  # as entered, always
    return dict(response.json()["titles"])


def moment_now(client: Client, project: str) -> str:
    """The moment the project's latest event was recorded (a ``known_at`` before the next)."""
    moment = str(client.get(f"/api/v1/projects/{project}").json()["last_recorded_at"])
    time.sleep(0.01)
    return moment


def test_a_title_given_in_russian_is_known_from_when_it_was_recorded(
    client: Client, project_id: str
) -> None:
    before = moment_now(client, project_id)
    made = give(client, project_id, {"language": "ru", "title": f"  {RU} "})
    assert made.status_code == 201, made.text
    assert made.json()["version"] == 2
    assert made.headers["etag"] == '"2"'
    assert made.headers["location"] == f"/api/v1/projects/{project_id}"

    assert titles(client, project_id) == {"ru": RU}
    assert titles(client, project_id, known_at=before) == {}  # not known yet then

    history = client.get(f"/api/v1/projects/{project_id}/events").json()["events"]
    assert history[-1]["type"] == "title_translated"
    assert history[-1]["payload"] == {"language": "ru", "title": RU}


def test_a_later_title_replaces_the_earlier_and_if_match_guards_it(
    client: Client, project_id: str
) -> None:
    assert give(client, project_id, {"language": "uz", "title": "Zavod"}).status_code == 201
    first = moment_now(client, project_id)
    stale = give(client, project_id, {"language": "uz", "title": "X"}, **{"If-Match": '"1"'})
    assert stale.status_code == 412, stale.text
    made = give(
        client,
        project_id,
        {"language": "uz", "title": "Mis katodlari zavodi"},
        **{"If-Match": '"2"'},
    )
    assert made.status_code == 201, made.text
    assert titles(client, project_id) == {"uz": "Mis katodlari zavodi"}
    assert titles(client, project_id, known_at=first) == {"uz": "Zavod"}


def test_a_bad_language_or_title_is_a_problem_naming_the_field(
    client: Client, project_id: str
) -> None:
    for body, field in (
        ({"language": "de", "title": "Kupferkathodenwerk"}, "language"),
        ({"language": "ru", "title": "   "}, "title"),
        ({"language": "ru", "title": "Завод\nмедных катодов"}, "title"),
        ({"title": RU}, "language"),
    ):
        response = give(client, project_id, body)
        assert 400 <= response.status_code < 500, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in (response.json().get("field"), response.json()["detail"]), response.json()
    assert titles(client, project_id) == {}


def test_giving_a_title_needs_a_recorder(
    client: Client, anonymous_client: Client, settings: Settings, project_id: str
) -> None:
    reader = make_key(settings, "reader", Role.READER)
    refused = anonymous_client.post(
        f"/api/v1/projects/{project_id}/titles",
        json={"language": "ru", "title": RU},
        headers={"Authorization": f"Bearer {reader}"},
    )
    assert refused.status_code == 403, refused.text
    recorder = make_key(settings, "recorder", Role.RECORDER)
    made = anonymous_client.post(
        f"/api/v1/projects/{project_id}/titles",
        json={"language": "ru", "title": RU},
        headers={"Authorization": f"Bearer {recorder}"},
    )
    assert made.status_code == 201, made.text


def _table_titles(page: str) -> list[str]:
    """The titles in the project table, in its order."""
    table = page[page.index('aria-labelledby="projects-title"') :]
    return re.findall(r'<a href="/projects/[0-9a-f-]+">([^<]*)</a>', table)


def test_a_russian_reader_sees_the_russian_title_and_others_the_title_as_entered(
    client: Client, portfolio_id: str, project_id: str
) -> None:
    other = client.post(
        "/api/v1/projects", json=project_body(portfolio_id, title="Emerald glassworks")
    ).json()["id"]
    before = moment_now(client, project_id)
    assert give(client, project_id, {"language": "ru", "title": RU}).status_code == 201

    ru_page = client.get(f"/portfolios/{portfolio_id}", params={"lang": "ru", "sort": "title"}).text
    shown = _table_titles(ru_page)
    assert RU in shown and "Emerald glassworks" in shown
    assert "Copper cathode plant" not in shown
    # Sorted by the title shown (as entered, "Copper…" came first): Latin before Cyrillic.
    assert shown.index("Emerald glassworks") < shown.index(RU)

    recent = ru_page[ru_page.index('id="activity"') : ru_page.index('id="projects-title"')]
    assert RU in recent  # the "recorded in the last 30 days" list names it so too

    en_page = client.get(f"/portfolios/{portfolio_id}", params={"lang": "en"}).text
    assert "Copper cathode plant" in _table_titles(en_page)
    assert RU not in en_page
    kk_page = client.get(f"/portfolios/{portfolio_id}", params={"lang": "kk"}).text
    assert RU not in kk_page  # no Kazakh title: the title as entered

    then = client.get(f"/portfolios/{portfolio_id}", params={"lang": "ru", "known_at": before}).text
    assert RU not in then and "Copper cathode plant" in _table_titles(then)

    heading = HEADING.search(client.get(f"/projects/{project_id}", params={"lang": "ru"}).text)
    assert heading and heading.group(1).strip() == RU
    heading = HEADING.search(client.get(f"/projects/{project_id}", params={"lang": "en"}).text)
    assert heading and heading.group(1).strip() == "Copper cathode plant"
    earlier = client.get(f"/projects/{project_id}", params={"lang": "ru", "known_at": before})
    heading = HEADING.search(earlier.text)
    assert heading and heading.group(1).strip() == "Copper cathode plant"

    download = client.get(f"/portfolios/{portfolio_id}/projects.csv", params={"lang": "ru"})
    assert download.status_code == 200, download.text
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))[1:]
    by_id = {cell: row for row in rows for cell in row if cell in (project_id, other)}
    assert RU in by_id[project_id] and "Copper cathode plant" not in by_id[project_id]
    assert "Emerald glassworks" in by_id[other]

    # The API's JSON keeps the title as entered whatever the reader's language.
    listed = client.get("/api/v1/projects", params={"portfolio": portfolio_id, "lang": "ru"})
    assert {p["title"] for p in listed.json()["items"]} == {
        "Copper cathode plant",
        "Emerald glassworks",
    }


def test_a_translated_title_is_not_news_of_the_project(
    client: Client, portfolio_id: str, project_id: str
) -> None:
    before = client.get("/api/v1/projects", params={"portfolio": portfolio_id}).json()["items"]
    assert give(client, project_id, {"language": "ru", "title": RU}).status_code == 201
    after = client.get("/api/v1/projects", params={"portfolio": portfolio_id}).json()["items"]
    assert after[0]["version"] == 2
    assert after[0]["last_event_on"] == before[0]["last_event_on"] == "2025-01-10"


def test_the_compare_view_names_a_contribution_in_the_readers_language(
    client: Client, portfolio_id: str, project_id: str
) -> None:
    before = moment_now(client, project_id).replace("Z", "").replace("+00:00", "")
    committed = client.post(
        f"/api/v1/projects/{project_id}/events",
        json={
            "type": "committed",
            "amount": {"amount": "1000000.00", "currency": "USD"},
            "effective_date": "2025-02-01",
        },
    )
    assert committed.status_code == 201, committed.text
    assert (
        give(client, project_id, {"language": "kk", "title": "Мыс катодтары зауыты"}).status_code
        == 201
    )

    def compare(lang: str) -> str:
        page = client.get(
            f"/portfolios/{portfolio_id}/compare", params={"known_from": before, "lang": lang}
        )
        assert page.status_code == 200, page.text
        return page.text

    assert "Мыс катодтары зауыты" in compare("kk")
    english = compare("en")
    assert "Copper cathode plant" in english and "Мыс катодтары зауыты" not in english
