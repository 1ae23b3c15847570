"""The register of signed documents over HTTP (issue 14, part 2).

Defects these tests pin: a document signed after ``as_of``, or recorded after ``known_at``,
counted in the register; a status or an amended value shown before it took effect or before
it was recorded; a document's value added to the investment of the projects; a key of
another portfolio recording a portfolio's documents; a bad body answered with a 500.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from litestar.testing import TestClient

from tests.http.conftest import make_key, project_body
from tests.problems import assert_problem
from tests.rates import give_rates_over_http
from tracker.keys import Role
from tracker.settings import Settings

Client = TestClient  # type: ignore[type-arg]
API = "/api/v1"


def moment() -> str:
    """A moment strictly between the write before and the write after."""
    time.sleep(0.01)
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    time.sleep(0.01)
    return now


def document_body(portfolio_id: str, **overrides: object) -> dict[str, Any]:
    body: dict[str, Any] = {
        "portfolio_id": portfolio_id,
        "title": "Memorandum on a copper cathode plant",
        "kind": "memorandum",
        "signed_on": "2024-10-22",
        "forum": "Samarkand forum",
        "parties": ["KazInvest", "UzIndustry"],
        "value": {"amount": "25000000.00", "currency": "USD"},
        "source": {"title": "Forum communiqué", "url": "https://example.org/communique"},
    }
    body.update(overrides)
    return body


def sign(client: Client, portfolio_id: str, **overrides: object) -> str:
    response = client.post(f"{API}/documents", json=document_body(portfolio_id, **overrides))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def record(client: Client, document_id: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{API}/documents/{document_id}/events", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def summary(client: Client, portfolio_id: str, **params: str) -> dict[str, Any]:
    response = client.get(f"{API}/portfolios/{portfolio_id}/documents/summary", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def listed(client: Client, **params: str) -> list[dict[str, Any]]:
    response = client.get(f"{API}/documents", params=params)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_a_document_is_signed_read_and_its_history_told(
    client: Client, portfolio_id: str, project_id: str
) -> None:
    response = client.post(
        f"{API}/documents", json=document_body(portfolio_id, projects=[project_id])
    )
    assert response.status_code == 201, response.text
    document_id = response.json()["id"]
    assert response.headers["location"] == f"{API}/documents/{document_id}"
    assert response.headers["etag"] == '"1"'

    shown = client.get(f"{API}/documents/{document_id}")
    assert shown.status_code == 200 and shown.headers["etag"] == '"1"'
    body = shown.json()
    assert body["status"] == "signed" and body["signed_on"] == "2024-10-22"
    assert body["value"] == {"amount": "25000000.00", "currency": "USD"}
    assert body["parties"] == ["KazInvest", "UzIndustry"] and body["projects"] == [project_id]
    assert body["source"] == {"title": "Forum communiqué", "url": "https://example.org/communique"}

    record(client, document_id, {"type": "entered_into_force", "effective_date": "2025-01-15"})
    record(
        client,
        document_id,
        {
            "type": "amended",
            "reason": "Second phase added",
            "value": {"amount": "30000000.00", "currency": "USD"},
            "effective_date": "2025-03-01",
            "source": {"title": "Supplementary agreement No. 1"},
        },
    )
    record(client, document_id, {"type": "fulfilled", "effective_date": "2025-09-01"})
    history = client.get(f"{API}/documents/{document_id}/history").json()
    assert history["document_id"] == document_id
    events = history["events"]
    assert [e["type"] for e in events] == ["signed", "entered_into_force", "amended", "fulfilled"]
    assert events[2]["payload"]["reason"] == "Second phase added"
    assert events[2]["source"]["title"] == "Supplementary agreement No. 1"
    assert events[0]["actor"] == "test-admin"
    feed = client.get(f"{API}/events").json()["items"]
    assert feed[-1]["aggregate_type"] == "document" and feed[-1]["type"] == "fulfilled"


def test_a_document_is_as_it_was_on_the_day_and_as_known_at_the_moment(
    client: Client, portfolio_id: str
) -> None:
    document_id = sign(client, portfolio_id)
    before_force = moment()
    record(client, document_id, {"type": "entered_into_force", "effective_date": "2025-01-15"})
    record(
        client,
        document_id,
        {
            "type": "amended",
            "reason": "Second phase added",
            "title": "Memorandum on two copper plants",
            "value": {"amount": "30000000.00", "currency": "USD"},
            "effective_date": "2025-03-01",
        },
    )
    url = f"{API}/documents/{document_id}"

    now = client.get(url).json()
    assert (now["status"], now["value"]["amount"], now["version"]) == ("in_force", "30000000.00", 3)
    assert now["title"] == "Memorandum on two copper plants" and now["value_date"] == "2025-03-01"

    on_day = client.get(url, params={"as_of": "2025-02-01"}).json()
    assert (on_day["status"], on_day["value"]["amount"], on_day["version"]) == (
        "in_force",
        "25000000.00",
        2,
    )
    assert on_day["title"] == "Memorandum on a copper cathode plant"

    known_then = client.get(url, params={"known_at": before_force})
    assert known_then.headers["etag"] == '"1"'
    assert known_then.json()["status"] == "signed"
    assert (
        client.get(f"{url}/history", params={"known_at": before_force}).json()["events"][0]["type"]
        == "signed"
    )
    assert (
        len(client.get(f"{url}/history", params={"known_at": before_force}).json()["events"]) == 1
    )

    assert_problem(client.get(url, params={"as_of": "2024-10-21"}), 404)
    assert_problem(client.get(url, params={"known_at": "2020-01-01T00:00:00Z"}), 404)
    assert_problem(client.get(f"{url}/history", params={"known_at": "2020-01-01T00:00:00Z"}), 404)


def test_the_register_counts_and_sums_what_was_signed_by_the_day_as_known_then(
    client: Client, portfolio_id: str
) -> None:
    give_rates_over_http(
        client, portfolio_id, [{"date": "2024-01-01", "currency": "KZT", "units_per_usd": "500"}]
    )
    first = sign(client, portfolio_id)  # USD 25 M, memorandum, 2024-10-22
    sign(
        client,
        portfolio_id,
        title="Agreement on a logistics hub",
        kind="agreement",
        value={"amount": "5000000000", "currency": "KZT"},  # USD 10 M at 500
    )
    sign(client, portfolio_id, title="Roadmap for trade", kind="roadmap", value=None)
    sign(
        client,
        portfolio_id,
        title="Contract in dirhams",
        kind="contract",
        value={"amount": "1000", "currency": "AED"},  # no rate: unconverted
    )
    known_four = moment()
    sign(
        client,
        portfolio_id,
        title="Later action plan",
        kind="action_plan",
        signed_on="2025-02-01",
        value=None,
    )
    record(
        client,
        first,
        {"type": "withdrawn", "reason": "Investor withdrew", "effective_date": "2025-04-01"},
    )

    now = summary(client, portfolio_id)
    assert now["documents"] == 5 and now["documents_with_value"] == 3
    assert now["by_kind"] == {
        "agreement": 1,
        "memorandum": 1,
        "contract": 1,
        "roadmap": 1,
        "action_plan": 1,
        "other": 0,
    }
    # Withdrawn still counts as signed: the forum announced signatures.
    assert now["by_status"] == {
        "signed": 4,
        "in_force": 0,
        "fulfilled": 0,
        "lapsed": 0,
        "withdrawn": 1,
    }
    assert now["total_value"]["amount"] == "35000000.00"
    assert now["total_value"]["unconverted"] == [
        {"currency": "AED", "amount": "1000.00", "count": 1}
    ]
    assert [r["currency"] for r in now["fx_rates_used"]] == ["KZT"]

    before_later = summary(client, portfolio_id, as_of="2025-01-31")
    assert before_later["documents"] == 4 and before_later["by_status"]["withdrawn"] == 0
    assert summary(client, portfolio_id, known_at=known_four)["documents"] == 4
    assert summary(client, portfolio_id, as_of="2024-10-21")["documents"] == 0

    in_kzt = summary(client, portfolio_id, currency="KZT")
    assert Decimal(in_kzt["total_value"]["amount"]) == Decimal("17500000000")

    # A document's value is not investment: the projects' figures do not move.
    progress = client.get(f"{API}/portfolios/{portfolio_id}/progress").json()
    assert progress["pledged"]["amount"] == "0.00" and progress["committed"]["amount"] == "0.00"


def test_an_amended_value_counts_from_its_day_and_once_recorded(
    client: Client, portfolio_id: str
) -> None:
    document_id = sign(client, portfolio_id)
    before_amendment = moment()
    record(
        client,
        document_id,
        {
            "type": "amended",
            "reason": "Raised",
            "value": {"amount": "40000000", "currency": "USD"},
            "effective_date": "2025-03-01",
        },
    )
    assert summary(client, portfolio_id)["total_value"]["amount"] == "40000000.00"
    assert summary(client, portfolio_id, as_of="2025-02-28")["total_value"]["amount"] == (
        "25000000.00"
    )
    assert summary(client, portfolio_id, known_at=before_amendment)["total_value"]["amount"] == (
        "25000000.00"
    )


def test_documents_are_listed_with_filters_and_keyset_pages(
    client: Client, portfolio_id: str, project_id: str
) -> None:
    older = sign(
        client, portfolio_id, title="Older agreement", kind="agreement", signed_on="2024-05-01"
    )
    linked = sign(client, portfolio_id, title="Linked memorandum", projects=[project_id])
    other = sign(client, portfolio_id, title="Ärger roadmap", kind="roadmap")
    record(client, other, {"type": "entered_into_force", "effective_date": "2024-11-01"})
    another_portfolio = client.post(
        f"{API}/portfolios", json={"name": "Other", "forum": "F", "established_on": "2024-01-01"}
    ).json()["id"]
    sign(client, another_portfolio, title="Elsewhere")

    assert [d["id"] for d in listed(client, portfolio=portfolio_id)] == [linked, other, older]
    assert [d["id"] for d in listed(client, portfolio=portfolio_id, kind="agreement")] == [older]
    assert [d["id"] for d in listed(client, portfolio=portfolio_id, status="in_force")] == [other]
    assert [d["id"] for d in listed(client, project=project_id)] == [linked]
    assert [d["id"] for d in listed(client, q="ärger")] == [other]
    assert [d["id"] for d in listed(client, portfolio=portfolio_id, as_of="2024-06-01")] == [older]
    at_day = listed(client, portfolio=portfolio_id, as_of="2024-10-30", status="signed")
    assert {d["id"] for d in at_day} == {linked, other, older}  # not yet in force then

    seen: list[str] = []
    cursor = None
    while True:
        params = {"portfolio": portfolio_id, "limit": "1", **({"cursor": cursor} if cursor else {})}
        page = client.get(f"{API}/documents", params=params).json()
        seen.extend(d["id"] for d in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [linked, other, older]
    assert_problem(client.get(f"{API}/documents", params={"cursor": "nonsense"}), 422, "cursor")
    assert_problem(client.get(f"{API}/documents", params={"kind": "treaty"}), 400, "kind")
    assert_problem(client.get(f"{API}/documents", params={"limit": "0"}), 400, "limit")


def test_a_recorder_of_the_portfolio_records_documents_and_a_key_of_another_cannot(
    client: Client, anonymous_client: Client, settings: Settings, portfolio_id: str
) -> None:
    from uuid import UUID

    other = client.post(
        f"{API}/portfolios", json={"name": "Other", "forum": "F", "established_on": "2024-01-01"}
    ).json()["id"]
    own = {
        "Authorization": f"Bearer {make_key(settings, 'desk', Role.RECORDER, UUID(portfolio_id))}"
    }
    foreign = {
        "Authorization": f"Bearer {make_key(settings, 'far-desk', Role.RECORDER, UUID(other))}"
    }
    reader = {"Authorization": f"Bearer {make_key(settings, 'reader', Role.READER)}"}

    made = anonymous_client.post(f"{API}/documents", json=document_body(portfolio_id), headers=own)
    assert made.status_code == 201, made.text
    document_id = made.json()["id"]
    assert_problem(
        anonymous_client.post(
            f"{API}/documents", json=document_body(portfolio_id), headers=foreign
        ),
        403,
        "portfolio_id",
    )
    assert_problem(
        anonymous_client.post(
            f"{API}/documents/{document_id}/events",
            json={"type": "entered_into_force"},
            headers=foreign,
        ),
        403,
    )
    assert_problem(
        anonymous_client.post(f"{API}/documents", json=document_body(portfolio_id), headers=reader),
        403,
    )
    assert_problem(anonymous_client.post(f"{API}/documents", json=document_body(portfolio_id)), 401)
    done = anonymous_client.post(
        f"{API}/documents/{document_id}/events", json={"type": "entered_into_force"}, headers=own
    )
    assert done.status_code == 201, done.text
    history = client.get(f"{API}/documents/{document_id}/history").json()["events"]
    assert [e["actor"] for e in history] == ["desk", "desk"]


def test_bad_input_is_a_problem_naming_the_field(
    client: Client, portfolio_id: str, project_id: str
) -> None:
    url = f"{API}/documents"
    assert_problem(client.post(url, json=document_body(portfolio_id, kind="treaty")), 400, "kind")
    assert_problem(
        client.post(url, json=document_body(portfolio_id, value={"amount": 5, "currency": "USD"})),
        400,
        "value.amount",
    )
    assert_problem(
        client.post(
            url, json=document_body(portfolio_id, value={"amount": "0", "currency": "USD"})
        ),
        422,
        "value.amount",
    )
    assert_problem(
        client.post(url, json=document_body("6a1f9b1e-3c55-4c9e-9d1e-0b7f1b2c3d4e")),
        422,
        "portfolio_id",
    )
    assert_problem(
        client.post(url, json=document_body(portfolio_id, effective_date="2024-10-23")),
        422,
        "effective_date",
    )
    assert_problem(
        client.post(url, json=document_body(portfolio_id, signed_on="2999-01-01")),
        422,
        "effective_date",
    )
    assert_problem(
        client.post(url, json=document_body(portfolio_id, parties=["A", "A"])), 422, "parties"
    )
    elsewhere = client.post(
        f"{API}/portfolios", json={"name": "Other", "forum": "F", "established_on": "2024-01-01"}
    ).json()["id"]
    foreign_project = client.post(f"{API}/projects", json=project_body(elsewhere)).json()["id"]
    assert_problem(
        client.post(url, json=document_body(portfolio_id, projects=[project_id, foreign_project])),
        422,
        "projects[1]",
    )
    assert_problem(client.post(url, json={**document_body(portfolio_id), "colour": "red"}), 400)

    document_id = sign(client, portfolio_id)
    events = f"{url}/{document_id}/events"
    assert_problem(client.post(events, json={"type": "fulfilled"}), 409)
    assert_problem(client.post(events, json={"type": "ratified"}), 400)
    assert_problem(client.post(events, json={"type": "lapsed"}), 400, "reason")
    assert_problem(client.post(events, json={"type": "amended", "reason": "nothing"}), 422, "value")
    assert_problem(
        client.post(events, json={"type": "amended", "reason": "r", "projects": [foreign_project]}),
        422,
        "projects[0]",
    )
    assert_problem(
        client.post(events, json={"type": "entered_into_force", "effective_date": "2024-01-01"}),
        409,
        "effective_date",
    )
    assert_problem(
        client.post(events, json={"type": "entered_into_force"}, headers={"If-Match": '"7"'}),
        412,
        "If-Match",
    )
    missing = "6a1f9b1e-3c55-4c9e-9d1e-0b7f1b2c3d4e"
    assert_problem(client.post(f"{url}/{missing}/events", json={"type": "fulfilled"}), 404)
    assert_problem(client.get(f"{url}/{missing}"), 404)
    assert_problem(client.get(f"{url}/{missing}/history"), 404)
    summary_url = f"{API}/portfolios/{missing}/documents/summary"
    assert_problem(client.get(summary_url), 404)
    assert_problem(
        client.get(
            f"{API}/portfolios/{portfolio_id}/documents/summary", params={"currency": "XXY"}
        ),
        422,
        "currency",
    )


def test_a_retried_signing_records_one_document(client: Client, portfolio_id: str) -> None:
    headers = {"Idempotency-Key": "sign-once"}
    first = client.post(f"{API}/documents", json=document_body(portfolio_id), headers=headers)
    again = client.post(f"{API}/documents", json=document_body(portfolio_id), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert first.json() == again.json()
    assert summary(client, portfolio_id)["documents"] == 1
    changed = client.post(
        f"{API}/documents", json=document_body(portfolio_id, title="Other"), headers=headers
    )
    assert_problem(changed, 422, "Idempotency-Key")


def test_the_portfolio_page_shows_the_register_at_its_moment(
    client: Client, portfolio_id: str
) -> None:
    empty = client.get(f"/portfolios/{portfolio_id}").text
    assert "Signed documents" in empty and "No document had been signed" in empty

    first = sign(client, portfolio_id, title="Memorandum <one>")
    before_second = moment()
    sign(
        client,
        portfolio_id,
        title="Roadmap two",
        kind="roadmap",
        value=None,
        signed_on="2025-02-01",
        source={"title": "Ministry press release"},
    )
    record(client, first, {"type": "entered_into_force", "effective_date": "2025-03-01"})

    page = client.get(f"/portfolios/{portfolio_id}").text
    section = page[page.index('id="documents"') : page.index('id="projects-title"')]
    assert 'data-figure="documents" value="2"' in section
    assert 'data-figure="documents-value" value="25000000.00"' in section
    assert "Memorandum &lt;one&gt;" in section and "no value stated" in section
    assert 'href="https://example.org/communique"' in section and "<cite>Ministry press" in section
    assert "doc-status-in_force" in section and "not investment delivered" in section
    assert f"/api/v1/documents?portfolio={portfolio_id}" in section

    on_day = client.get(f"/portfolios/{portfolio_id}", params={"as_of": "2025-01-31"}).text
    section = on_day[on_day.index('id="documents"') : on_day.index('id="projects-title"')]
    assert 'data-figure="documents" value="1"' in section and "Roadmap two" not in section
    assert "doc-status-in_force" not in section and "as_of=2025-01-31" in section

    known = client.get(f"/portfolios/{portfolio_id}", params={"known_at": before_second}).text
    section = known[known.index('id="documents"') : known.index('id="projects-title"')]
    assert 'data-figure="documents" value="1"' in section and "Roadmap two" not in section

    for n in range(11):
        sign(client, portfolio_id, title=f"Protocol {n:02d}", kind="other", value=None)
    many = client.get(f"/portfolios/{portfolio_id}").text
    section = many[many.index('id="documents"') : many.index('id="projects-title"')]
    assert section.count("data-document-id=") == 10
    assert "The first 10 of 13 are listed" in section
