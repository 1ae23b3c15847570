"""Every read endpoint and every page, at random moments, says what the plain fold says.

A small portfolio's history is recorded through the API, one write at a time, with a moment
taken between writes (so every recorded time differs and a ``known_at`` can fall between any
two). Then, at moments drawn by a seeded random (``as_of`` any day of the story or none,
``known_at`` between two writes, exactly at a write, or none), every read is compared with
``tests.oracle`` (and ``tests.oracle_projects``): progress, the breakdowns, the timeline (each
also narrowed by one filter in turn: a layer, sector, region, country, status, flag or two
of them, with the shares of plan), the project list, each project, its history, the stale
projects, the portfolio page and each project page. On SQLite and on PostgreSQL (the
``client`` fixture runs on both).
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html import unescape
from typing import Any
from uuid import UUID

from litestar.testing import TestClient

from tests.oracle import FiguresView, Oracle, Selection, cents, share_of_plan
from tests.oracle_projects import events_of, flags_then, judging, projects_then, stale_then
from tracker.application import TrackerApplication

Client = TestClient  # type: ignore[type-arg]
API = "/api/v1"
SEED = 20250515
MOMENTS = 14
STALE_DAYS = 60
FIGURE = re.compile(r'<data data-figure="([\w-]+)" value="([^"]*)"')
ROW = re.compile(r'<tr data-project-id="([\w-]+)">(.*?)</tr>', re.S)
PILL = re.compile(r'status-pill status-([a-z_]+)"')
FLAG = re.compile(r'data-flag="([a-z_]+)"')


@dataclass
class Story:
    portfolio: str = ""
    projects: list[str] = field(default_factory=list)
    moments: list[datetime] = field(default_factory=list)
    days: list[date] = field(default_factory=list)


def write(client: Client, story: Story, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """One write, with a moment before it and after it that differ from its recorded time."""
    time.sleep(0.002)
    story.moments.append(datetime.now(UTC))
    time.sleep(0.002)
    response = client.post(f"{API}{path}", json=body)
    assert response.status_code == 201, response.text
    if day := body.get("effective_date"):
        story.days.append(date.fromisoformat(day))
    return dict(response.json())


def usd(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "USD"}


def record(client: Client) -> Story:
    story = Story()
    story.portfolio = str(
        write(
            client,
            story,
            "/portfolios",
            {"name": "Moments", "forum": "Forum", "established_on": "2024-01-01"},
        )["id"]
    )
    targets = f"/portfolios/{story.portfolio}/targets"
    goal = {"investment": usd("100000000"), "jobs": 1000, "projects": 4}
    write(client, story, targets, {**goal, "effective_date": "2024-01-01"})

    def announce(
        title: str, sector: str, regions: list[str], amount: str, day: str, end: str | None = None
    ) -> str:
        body = {
            "portfolio_id": story.portfolio,
            "title": title,
            "sector": sector,
            "regions": regions,
            "planned_investment": usd(amount),
            "planned_jobs": 100,
            "effective_date": day,
            "illustrative": title == "Delta",
            **({"planned_end": end} if end else {}),
        }
        project = str(write(client, story, "/projects", body)["id"])
        story.projects.append(project)
        return project

    def event(project: str, body: dict[str, Any]) -> None:
        write(client, story, f"/projects/{project}/events", body)

    alpha = announce("Alpha", "energy", ["KZ-61"], "30000000", "2024-02-01", "2024-12-31")
    event(alpha, {"type": "committed", "amount": usd("10000000"), "effective_date": "2024-03-01"})
    event(alpha, {"type": "status_changed", "status": "agreed", "effective_date": "2024-04-01"})
    bravo = announce("Bravo", "metallurgy", ["UZ-SI"], "20000000", "2024-05-01", "2024-08-31")
    event(bravo, {"type": "committed", "amount": usd("5000000"), "effective_date": "2024-05-15"})
    event(alpha, {"type": "disbursed", "amount": usd("2000000"), "effective_date": "2024-06-01"})
    event(bravo, {"type": "milestone", "name": "Ground broken", "effective_date": "2024-06-10"})
    charlie = announce(
        "Charlie", "energy", ["KZ-61", "UZ-SI"], "8000000", "2024-03-01", "2024-06-30"
    )
    event(
        alpha,
        {"type": "jobs_created", "permanent": 40, "temporary": 10, "effective_date": "2024-08-01"},
    )
    write(client, story, targets, {**goal, "projects": 5, "effective_date": "2024-09-01"})
    event(bravo, {"type": "status_changed", "status": "suspended", "effective_date": "2024-09-01"})
    event(charlie, {"type": "cancelled", "reason": "withdrawn", "effective_date": "2024-10-01"})
    event(
        alpha,
        {
            "type": "corrected",
            "corrects": 2,
            "reason": "the agreement",
            "replacement": {"amount": usd("12000000")},
            "effective_date": "2024-11-01",
        },
    )
    event(
        bravo,
        {
            "type": "retracted",
            "retracts": 2,
            "reason": "a duplicate",
            "effective_date": "2024-11-15",
        },
    )
    delta = announce("Delta", "agriculture", ["UZ-TK"], "5000000", "2025-01-10")
    event(
        alpha,
        {
            "type": "corrected",
            "corrects": 1,
            "reason": "renamed",
            "replacement": {"title": "Alpha II", "sector": "metallurgy"},
            "effective_date": "2025-01-12",
        },
    )
    event(bravo, {"type": "status_changed", "status": "resumed", "effective_date": "2025-01-15"})
    event(bravo, {"type": "committed", "amount": usd("1000000"), "effective_date": "2023-12-01"})
    event(delta, {"type": "committed", "amount": usd("3000000"), "effective_date": "2025-02-01"})
    event(delta, {"type": "disbursed", "amount": usd("4000000"), "effective_date": "2025-02-20"})
    event(
        alpha,
        {
            "type": "status_changed",
            "status": "under_implementation",
            "effective_date": "2025-02-10",
        },
    )
    event(alpha, {"type": "completed", "effective_date": "2025-03-01"})
    event(
        bravo,
        {
            "type": "corrected",
            "corrects": 3,
            "reason": "the site diary",
            "replacement": {"effective_date": "2024-07-01"},
            "effective_date": "2025-03-05",
        },
    )
    time.sleep(0.002)
    story.moments.append(datetime.now(UTC))
    return story


@dataclass(frozen=True)
class Moment:
    as_of: date | None
    known_at: datetime | None

    def params(self) -> dict[str, str]:
        params = {}
        if self.as_of is not None:
            params["as_of"] = self.as_of.isoformat()
        if self.known_at is not None:
            params["known_at"] = self.known_at.isoformat().replace("+00:00", "Z")
        return params

    def asked(self) -> dict[str, Any]:
        """The moment as the oracle's keywords."""
        return {"as_of": self.as_of, "known_at": self.known_at}


def moments(story: Story, oracle: Oracle, rng: random.Random) -> list[Moment]:
    recorded = oracle.timestamps()
    chosen = [Moment(None, None)]
    while len(chosen) < MOMENTS:
        as_of = rng.choice(
            [
                None,
                rng.choice(story.days),
                rng.choice(story.days) + timedelta(days=rng.choice([-1, 1, 70, 200])),
                date(2023, 6, 1),
            ]
        )
        known_at = rng.choice([None, rng.choice(story.moments), rng.choice(recorded)])
        chosen.append(Moment(as_of, known_at))
    return chosen


def get(client: Client, path: str, moment: Moment, **params: Any) -> Any:
    response = client.get(path, params={**moment.params(), **params})
    assert response.status_code == 200, (path, moment, response.text)
    return response


def money(amount: str) -> Decimal:
    return cents(Decimal(amount))


# The comparisons, one per read


def check_progress(progress: dict[str, Any], figures: FiguresView, where: Any) -> None:
    """The progress figures and their shares of plan, as the oracle has them."""
    assert money(progress["committed"]["amount"]) == figures.committed.amount, where
    assert money(progress["disbursed"]["amount"]) == figures.disbursed.amount, where
    assert money(progress["pledged"]["amount"]) == figures.pledged.amount, where
    jobs = progress["jobs_created"]
    assert (jobs["permanent"], jobs["temporary"]) == (
        figures.jobs_permanent,
        figures.jobs_temporary,
    ), where
    assert sorted(progress["projects_by_status"].items()) == list(figures.projects_by_status)
    check_shares(progress["shares_of_plan"], figures, where)


def check_reports(client: Client, oracle: Oracle, story: Story, moment: Moment) -> None:
    portfolio = UUID(story.portfolio)
    asked = {"as_of": moment.as_of, "known_at": moment.known_at}
    base = f"{API}/portfolios/{story.portfolio}"
    progress = get(client, f"{base}/progress", moment).json()
    expected = oracle.progress(portfolio, **asked)
    check_progress(progress, expected.figures, moment)
    targets = progress["targets"]
    assert (targets and targets["version"]) == (expected.targets and expected.targets.version)
    for by in ("sector", "region", "country", "status"):
        breakdown = get(client, f"{base}/breakdown", moment, by=by).json()
        slices = {s["key"]: s["figures"] for s in breakdown["slices"]}
        wanted = dict(oracle.breakdown(portfolio, by, **asked).slices)
        assert sorted(slices) == sorted(wanted), (by, moment)
        for key, want in wanted.items():
            got = slices[key]
            assert money(got["committed"]["amount"]) == want.committed.amount, (by, key, moment)
            assert money(got["pledged"]["amount"]) == want.pledged.amount, (by, key, moment)
            assert got["projects"] == sum(n for _, n in want.projects_by_status), (by, key)
    today = datetime.now(UTC).date()
    line = get(client, f"{base}/timeline", moment, interval="quarter").json()
    want_line = oracle.timeline(portfolio, "quarter", today, **asked)
    assert [p["period"] for p in line["points"]] == [p.period for p in want_line.points], moment
    for point, want in zip(line["points"], want_line.points, strict=True):
        got = point["figures"]
        assert money(got["committed"]["amount"]) == want.figures.committed.amount, moment
        assert got["projects"] == sum(n for _, n in want.figures.projects_by_status), moment


#: Filters a read can be narrowed by, one per moment in turn; "energy" is Alpha's sector
#: only until its plan is corrected, Bravo is "suspended" only between two days.
SELECTIONS = (
    Selection(sector="energy"),
    Selection(sector="metallurgy"),
    Selection(region="KZ-61"),
    Selection(region="UZ-SI"),
    Selection(country="UZ"),
    Selection(status="agreed"),
    Selection(status="suspended"),
    Selection(layer="illustrative"),
    Selection(layer="reported", region="UZ-SI"),
    Selection(sector="metallurgy", country="KZ"),
    Selection(flag="any", no_news_days=STALE_DAYS),
    Selection(flag="disbursed_above_committed"),
    Selection(flag="end_date_passed", layer="reported"),
)


def selection_params(selection: Selection) -> dict[str, str]:
    values = {
        "layer": selection.layer,
        "sector": selection.sector,
        "region": selection.region,
        "country": selection.country,
        "status": selection.status,
        "flag": selection.flag,
        "no_news_days": str(selection.no_news_days) if selection.flag else None,
    }
    return {k: v for k, v in values.items() if v and v != "all"}


def check_shares(shares: dict[str, Any], want: FiguresView, where: Any) -> None:
    """The API's shares of plan against the oracle's figures (amounts in USD, exact)."""
    jobs = want.jobs_permanent + want.jobs_temporary
    expected = {
        "committed_to_plan": share_of_plan(want.committed.amount, want.pledged.amount),
        "disbursed_to_plan": share_of_plan(want.disbursed.amount, want.pledged.amount),
        "jobs_to_plan": share_of_plan(jobs, want.planned_jobs),
    }
    got = {k: None if shares[k] is None else Decimal(shares[k]) for k in expected}
    assert got == expected, where
    assert money(shares["committed_shortfall"]) == want.pledged.amount - want.committed.amount
    assert shares["jobs_shortfall"] == want.planned_jobs - jobs, where


def check_filtered_reports(
    client: Client, oracle: Oracle, story: Story, moment: Moment, selection: Selection
) -> None:
    """Progress, a breakdown and the timeline narrowed by ``selection``, against the oracle."""
    portfolio = UUID(story.portfolio)
    today = datetime.now(UTC).date()
    selection = judging(selection, oracle, portfolio, today, moment.known_at)
    asked = {"as_of": moment.as_of, "known_at": moment.known_at, "selection": selection}
    where = (selection, moment)
    base = f"{API}/portfolios/{story.portfolio}"
    params = selection_params(selection)
    progress = get(client, f"{base}/progress", moment, **params).json()
    check_progress(progress, oracle.progress(portfolio, **asked).figures, where)
    for by in ("sector", "region"):
        breakdown = get(client, f"{base}/breakdown", moment, by=by, **params).json()
        slices = {s["key"]: s for s in breakdown["slices"]}
        wanted = dict(oracle.breakdown(portfolio, by, **asked).slices)
        assert sorted(slices) == sorted(wanted), (by, where)
        for key, want in wanted.items():
            got = slices[key]["figures"]
            assert money(got["committed"]["amount"]) == want.committed.amount, (by, key, where)
            assert money(got["disbursed"]["amount"]) == want.disbursed.amount, (by, key, where)
            assert got["planned_jobs"] == want.planned_jobs, (by, key, where)
            assert got["projects"] == sum(n for _, n in want.projects_by_status), (by, key)
            check_shares(slices[key]["shares_of_plan"], want, (by, key, where))
    line = get(client, f"{base}/timeline", moment, interval="month", **params).json()
    want_line = oracle.timeline(portfolio, "month", today, **asked)
    assert [p["period"] for p in line["points"]] == [p.period for p in want_line.points], where
    for point, want_point in zip(line["points"], want_line.points, strict=True):
        got = point["figures"]
        assert money(got["committed"]["amount"]) == want_point.figures.committed.amount, where
        assert got["planned_jobs"] == want_point.figures.planned_jobs, where
        assert got["projects"] == sum(n for _, n in want_point.figures.projects_by_status)


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


def test_every_view_at_every_moment_is_the_oracles(
    client: Client, tracker: TrackerApplication
) -> None:
    story = record(client)
    oracle = Oracle.read(tracker)  # rates, if any, are events too
    rng = random.Random(SEED)
    raised: set[str] = set()
    for index, moment in enumerate(moments(story, oracle, rng)):
        check_reports(client, oracle, story, moment)
        selection = SELECTIONS[index % len(SELECTIONS)]  # each at least once
        check_filtered_reports(client, oracle, story, moment, selection)
        check_projects(client, oracle, story, moment)
        check_stale(client, oracle, story, moment)
        raised |= check_flags(client, oracle, story, moment)
        check_portfolio_page(client, oracle, story, moment)
        check_project_pages(client, oracle, story, moment)
    assert raised == {"disbursed_above_committed", "end_date_passed", "no_news"}
