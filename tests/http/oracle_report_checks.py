"""The reports' comparisons of test_views_match_the_oracle.py: progress, the breakdowns and
the timeline at a moment, as the oracle (``tests.oracle``) has them, also narrowed by one
filter in turn (a layer, sector, region, country, status, flag or two of them), with the
shares of plan."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from tests.http.oracle_story import API, STALE_DAYS, Client, Moment, Story, get, money
from tests.oracle.figures import share_of_plan
from tests.oracle.known import Selection
from tests.oracle.reports import Oracle
from tests.oracle.views import FiguresView
from tests.oracle_projects import judging

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
