"""The projects' comparisons of test_views_match_the_oracle.py: the project list, each
project, its history, the stale projects, the flags, the portfolio page and each project
page at a moment, as the oracle (``tests.oracle_projects``) has them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from html import unescape
from typing import Any
from uuid import UUID

from tests.http.oracle_story import API, STALE_DAYS, Client, Moment, Story, get, money
from tests.oracle.reports import Oracle
from tests.oracle_projects import events_of, flags_then, projects_then, stale_then

FIGURE = re.compile(r'<data data-figure="([\w-]+)" value="([^"]*)"')
ROW = re.compile(r'<tr data-project-id="([\w-]+)">(.*?)</tr>', re.S)
PILL = re.compile(r'status-pill status-([a-z_]+)"')
FLAG = re.compile(r'data-flag="([a-z_]+)"')


def check_projects(client: Client, oracle: Oracle, story: Story, moment: Moment) -> None:
    portfolio = UUID(story.portfolio)
    asked = {"as_of": moment.as_of, "known_at": moment.known_at}
    wanted = projects_then(oracle, portfolio, **asked)
    listed: list[dict[str, Any]] = []
    cursor = None
    while True:  # two to a page, so that paging at a moment is walked too
        params = {"portfolio": story.portfolio, "limit": 2, "sort": "-planned_investment"}
        page = get(
            client, f"{API}/projects", moment, **params, **({"cursor": cursor} if cursor else {})
        ).json()
        listed += page["items"]
        if (cursor := page["next_cursor"]) is None:
            break
    amounts = [Decimal(p["planned_investment"]["amount"]) for p in listed]
    assert amounts == sorted(amounts, reverse=True), moment
    assert sorted(p["id"] for p in listed) == sorted(str(i) for i in wanted), moment
    for item in listed:
        want = wanted[UUID(item["id"])]
        got = (item["title"], item["sector"], item["status"], item["version"])
        assert got == (want.title, want.sector, want.status, want.version), moment
        assert tuple(item["regions"]) == want.regions, moment
        assert Decimal(item["planned_investment"]["amount"]) == want.planned_investment
        assert item["last_event_on"] == want.last_news.isoformat(), (item["title"], moment)
    for project in story.projects:
        response = client.get(f"{API}/projects/{project}", params=moment.params())
        known = events_of(oracle, UUID(project), moment.known_at)
        if UUID(project) not in wanted:
            assert response.status_code == 404, (project, moment)
        else:
            shown = response.json()
            assert shown["status"] == wanted[UUID(project)].status, moment
            assert shown["title"] == wanted[UUID(project)].title, moment
        history = client.get(f"{API}/projects/{project}/events", params=_known(moment))
        if not known:
            assert history.status_code == 404, moment
            continue
        check_history(history.json()["events"], known)


def _known(moment: Moment) -> dict[str, str]:
    return {k: v for k, v in moment.params().items() if k == "known_at"}


def check_history(events: list[dict[str, Any]], known: list[Any]) -> None:
    assert [e["version"] for e in events] == [e.originator_version for e in known]
    corrected: dict[int, list[int]] = {}
    retracted: dict[int, int] = {}
    for e in known:
        if type(e).KIND == "corrected":
            corrected.setdefault(e.corrects, []).append(e.originator_version)
        elif type(e).KIND == "retracted":
            retracted[e.retracts] = e.originator_version
    for e in events:
        assert e["corrected_by"] == corrected.get(e["version"], []), e
        assert e["retracted_by"] == retracted.get(e["version"]), e


def check_stale(client: Client, oracle: Oracle, story: Story, moment: Moment) -> None:
    today = datetime.now(UTC).date()
    body = get(client, f"{API}/portfolios/{story.portfolio}/stale", moment, days=STALE_DAYS).json()
    open_then, silent = stale_then(
        oracle,
        UUID(story.portfolio),
        STALE_DAYS,
        today,
        as_of=moment.as_of,
        known_at=moment.known_at,
    )
    assert [(UUID(i["id"]), i["days_since_last_event"]) for i in body["items"]] == silent, moment
    assert body["open_projects"] == open_then, moment


def check_flags(client: Client, oracle: Oracle, story: Story, moment: Moment) -> set[str]:
    """The flags at the moment, as the oracle raises them; returns those raised."""
    today = datetime.now(UTC).date()
    portfolio = UUID(story.portfolio)
    wanted = flags_then(oracle, portfolio, STALE_DAYS, today, **moment.asked())
    days = {"no_news_days": STALE_DAYS}
    body = get(client, f"{API}/portfolios/{story.portfolio}/flags", moment, **days).json()
    assert body["projects"] == len(wanted), moment
    assert {UUID(i["id"]): set(i["flags"]) for i in body["items"]} == {
        pid: raised for pid, raised in wanted.items() if raised
    }, moment
    for flag in ("disbursed_above_committed", "end_date_passed", "no_news"):
        assert body["by_flag"][flag] == sum(flag in r for r in wanted.values()), (flag, moment)
        params = {"portfolio": story.portfolio, "flag": flag, **days}
        listed = get(client, f"{API}/projects", moment, **params).json()["items"]
        assert {UUID(p["id"]) for p in listed} == {
            pid for pid, raised in wanted.items() if flag in raised
        }, (flag, moment)
    for pid, raised in wanted.items():
        shown = get(client, f"{API}/projects/{pid}", moment, **days).json()
        assert set(shown["flags"]) == raised, (pid, moment)
    return set().union(*wanted.values())


def check_portfolio_page(client: Client, oracle: Oracle, story: Story, moment: Moment) -> None:
    portfolio = UUID(story.portfolio)
    asked = {"as_of": moment.as_of, "known_at": moment.known_at}
    page = get(
        client, f"/portfolios/{story.portfolio}", moment, stale_days=STALE_DAYS, rows="all"
    ).text
    shown = dict(FIGURE.findall(page[page.index('id="headline"') : page.index('id="timeline"')]))
    figures = oracle.progress(portfolio, **asked).figures
    assert money(shown["committed"]) == figures.committed.amount, moment
    assert money(shown["disbursed"]) == figures.disbursed.amount, moment
    assert int(shown["projects"]) == sum(n for _, n in figures.projects_by_status), moment
    open_then, silent = stale_then(oracle, portfolio, STALE_DAYS, datetime.now(UTC).date(), **asked)
    assert int(shown["stale-count"]) == len(silent), moment
    if not open_then:
        assert "project is open" in page or "project was open" in page, moment
    wanted = projects_then(oracle, portfolio, **asked)
    rows = {UUID(pid): PILL.findall(row)[0] for pid, row in ROW.findall(page)}
    assert rows == {pid: p.status for pid, p in wanted.items()}, moment
    flags = flags_then(oracle, portfolio, STALE_DAYS, datetime.now(UTC).date(), **asked)
    assert int(shown["flagged"]) == sum(1 for raised in flags.values() if raised), moment
    tags = {UUID(pid): set(FLAG.findall(row)) for pid, row in ROW.findall(page)}
    assert tags == flags, moment
    illustrative = UUID(story.projects[-1]) in wanted  # Delta, the last announced
    assert ("The projects and their figures are invented" in page) == illustrative, moment


def check_project_pages(client: Client, oracle: Oracle, story: Story, moment: Moment) -> None:
    portfolio = UUID(story.portfolio)
    wanted = projects_then(oracle, portfolio, as_of=moment.as_of, known_at=moment.known_at)
    for project in story.projects:
        page = unescape(get(client, f"/projects/{project}", moment).text)
        head = page[page.index('id="project-head"') : page.index('id="project-figures"')]
        then = wanted.get(UUID(project))
        if then is None:
            assert "Not yet" in head and "status-pill status-" not in head, moment
            continue
        assert PILL.findall(head) == [then.status], moment
        assert f'data-figure="status">{then.status.replace("_", " ")}' in page.lower(), moment
        assert f"<h1>{then.title}</h1>" in head, moment
        known = events_of(oracle, UUID(project), moment.known_at)
        fixes = {e.corrects for e in known if type(e).KIND == "corrected"}
        fixes |= {e.retracts for e in known if type(e).KIND == "retracted"}
        marked = {
            int(v) for v in re.findall(r'is-(?:corrected|retracted)[^"]*" id="event-(\d+)"', page)
        }
        assert marked == fixes, (project, moment)
