"""Domain errors over HTTP in the client's language: the problem's ``detail`` is the domain's
message translated, its variables filled in; ``field`` and ``type`` stay as they are."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.problems import assert_problem

Client = TestClient  # type: ignore[type-arg]
LANGS = ("en", "ru", "kk", "uz")


def _asked(client: Client, lang: str, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
    response = client.request(method, url, headers={"Accept-Language": lang}, **kwargs)
    assert response.headers["content-language"] == lang
    return dict(response.json())


def _in_every_language(
    client: Client, status: int, field: str | None, method: str, url: str, **kwargs: Any
) -> dict[str, str]:
    """The problem's detail in each language, checked to keep its status, type and field."""
    english = assert_problem(client.request(method, url, **kwargs), status, field)
    details = {}
    for lang in LANGS:
        body = _asked(client, lang, method, url, **kwargs)
        assert (body["status"], body["type"], body.get("field")) == (
            status,
            english["type"],
            field,
        ), body
        details[lang] = body["detail"]
    assert len(set(details.values())) == len(LANGS), details  # four languages, four details
    return details


def test_a_status_rule_of_the_domain(client: Client, project_id: str) -> None:
    events = f"/api/v1/projects/{project_id}/events"
    moved = client.post(events, json={"type": "status_changed", "status": "operational"})
    assert moved.status_code == 201, moved.text
    details = _in_every_language(
        client, 409, None, "POST", events, json={"type": "status_changed", "status": "agreed"}
    )
    assert details == {
        "en": "a project cannot move from operational back or over to agreed",
        "ru": "проект не может вернуться из operational или перескочить в agreed",
        "kk": "жоба operational мәртебесінен agreed мәртебесіне кері қайта не аттап өте алмайды",
        "uz": "loyiha operational holatidan agreed holatiga orqaga qayta yoki sakrab oʻta olmaydi",
    }


def test_a_value_rule_of_the_domain_names_its_field(client: Client, project_id: str) -> None:
    details = _in_every_language(
        client,
        422,
        "permanent",
        "POST",
        f"/api/v1/projects/{project_id}/events",
        json={"type": "jobs_created", "permanent": 0, "temporary": 0},
    )
    assert details["ru"] == "запишите хотя бы одно постоянное или временное рабочее место"
    assert details["kk"] == "кемінде бір тұрақты не уақытша жұмыс орнын жазыңыз"
    assert details["uz"] == "kamida bitta doimiy yoki vaqtinchalik ish oʻrnini qayd eting"


def test_a_filter_of_the_read_model_names_the_value(client: Client, portfolio_id: str) -> None:
    details = _in_every_language(
        client, 400, "sector", "GET", f"/api/v1/portfolios/{portfolio_id}/progress?sector=cheese"
    )
    assert details == {
        "en": "no project of this portfolio has sector 'cheese'",
        "ru": "ни у одного проекта этого портфеля нет sector 'cheese'",
        "kk": "бұл портфельдің ешбір жобасында sector 'cheese' жоқ",
        "uz": "bu portfelning hech bir loyihasida sector 'cheese' yoʻq",
    }


@pytest.mark.parametrize("lang", ["ru", "kk", "uz"])
def test_what_is_missing_is_named_in_the_sentence(client: Client, lang: str) -> None:
    missing = uuid.uuid4()
    body = _asked(client, lang, "GET", f"/api/v1/projects/{missing}")
    assert body["status"] == 404
    assert str(missing) in body["detail"]
    assert "there is no" not in body["detail"] and "%(" not in body["detail"]
    english = client.get(f"/api/v1/projects/{missing}").json()["detail"]
    assert str(missing) in english and english != body["detail"]


def test_a_malformed_request_is_said_in_the_language(client: Client, portfolio_id: str) -> None:
    """What the framework finds before a handler runs (a type, a bound, an enum, a missing or
    unknown field, bad JSON) is said in the client's language, the field still named."""
    reports = f"/api/v1/portfolios/{portfolio_id}"
    days = _in_every_language(
        client, 400, "no_news_days", "GET", f"{reports}/progress?no_news_days=0"
    )
    assert days["en"] == "no_news_days: must be at least 1"
    assert days["ru"] == "no_news_days: должно быть не меньше 1"
    interval = _in_every_language(
        client, 400, "interval", "GET", f"{reports}/timeline?interval=week"
    )
    assert interval["kk"] == "interval: 'week' мұнда рұқсат етілген мәндердің бірі емес"
    body = {"name": 7, "forum": "Forum", "established_on": "2024-10-22"}
    typed = _in_every_language(client, 400, "name", "POST", "/api/v1/portfolios", json=body)
    assert typed["uz"] == "name: str turi kutilgan edi, int keldi"
    missing = _in_every_language(
        client,
        400,
        "name",
        "POST",
        "/api/v1/portfolios",
        json={"forum": "F", "established_on": "2024-10-22"},
    )
    assert missing["ru"] == "name: поле name обязательно"
    response = client.post(
        "/api/v1/portfolios",
        content=b"{bad",
        headers={"Content-Type": "application/json", "Accept-Language": "ru"},
    )
    problem = response.json()
    assert problem["status"] == 400 and problem["detail"].startswith(
        "тело запроса — не корректный JSON ("
    )


def test_the_rows_of_a_refused_import_are_said_in_the_language(client: Client) -> None:
    """Each bad row's message is translated with its value in; line and column stay. (JSON
    rows: an unknown column of a CSV's header stops the reading before any row.)"""
    targets = {"type": "targets", "amount": "lots", "currency": "USD", "jobs": "1", "projects": "2"}
    portfolio = {"type": "portfolio", "portfolio_ref": "kz-uz", "effective_date": "2024-10-22"}
    rows = [
        {"row_id": "pf-1", **portfolio, "title": "KZ–UZ", "forum": "Samarkand", "colour": "red"},
        {"row_id": "pf-2", **portfolio, **targets},
    ]
    body = "[\n" + ",\n".join(json.dumps(row) for row in rows) + "\n]"  # a row a line
    said = {}
    for lang in LANGS:
        response = client.post(
            "/api/v1/imports",
            content=body,
            headers={"content-type": "application/json", "Accept-Language": lang},
        )
        problem = assert_problem(response, 422, "colour")
        said[lang] = {(e["line"], e["column"]): e["message"] for e in problem["errors"]}
    assert set(said["en"]) == {(2, "colour"), (3, "amount")}
    for lang in LANGS:
        assert set(said[lang]) == set(said["en"]), said[lang]  # the same cells in every language
    assert said["en"][2, "colour"] == "unknown column 'colour'"
    assert said["ru"][2, "colour"] == "неизвестный столбец 'colour'"
    assert said["kk"][2, "colour"] == "белгісіз баған 'colour'"
    assert said["uz"][2, "colour"] == "nomaʼlum ustun 'colour'"
    amount = {lang: said[lang][3, "amount"] for lang in LANGS}
    assert "'lots'" in amount["en"]
    for lang in ("ru", "kk", "uz"):  # the domain's message about the amount, translated
        assert amount[lang] != amount["en"] and "'lots'" in amount[lang], amount


def test_refusals_beside_the_handlers_are_said_in_the_language(
    client: Client, anonymous_client: Client
) -> None:
    """The key check, the router and a body's media type answer in the client's language."""
    body = {"name": "X", "forum": "F", "established_on": "2024-10-22"}
    keyless = anonymous_client.post(
        "/api/v1/portfolios", json=body, headers={"Accept-Language": "ru"}
    ).json()
    assert keyless["status"] == 401
    assert keyless["detail"].startswith("для этого запроса нужен ключ API с ролью admin")
    nowhere = client.get("/api/v1/nowhere", headers={"Accept-Language": "kk"}).json()
    assert (nowhere["status"], nowhere["detail"]) == (404, "бұл мекенжайда ештеңе жоқ")
    typed = client.post(
        "/api/v1/portfolios",
        content=b"name=X",
        headers={"Content-Type": "text/plain", "Accept-Language": "uz"},
    ).json()
    assert (typed["status"], typed["field"]) == (415, "Content-Type")
    assert typed["detail"] == "soʻrov tanasi — text/plain; uni application/json sifatida yuboring"
    english = client.post(
        "/api/v1/portfolios", content=b"name=X", headers={"Content-Type": "text/plain"}
    ).json()
    assert english["detail"] == "the body is text/plain; send it as application/json"
    moment = client.get(
        f"/api/v1/portfolios/{uuid.uuid4()}/progress?known_at=yesterday",
        headers={"Accept-Language": "ru"},
    ).json()
    assert (moment["status"], moment["field"]) == (400, "known_at")
    assert moment["detail"] == (
        "known_at: должен быть моментом RFC 3339, например 2024-10-22T18:00:00Z"
    )
