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

The story: tests/http/oracle_story.py; the comparisons, one per read:
tests/http/oracle_report_checks.py and tests/http/oracle_project_checks.py.
"""

from __future__ import annotations

import random

from tests.http.oracle_project_checks import (
    check_flags,
    check_portfolio_page,
    check_project_pages,
    check_projects,
    check_stale,
)
from tests.http.oracle_report_checks import SELECTIONS, check_filtered_reports, check_reports
from tests.http.oracle_story import Client, moments, record
from tests.oracle.reports import Oracle
from tracker.application import TrackerApplication

SEED = 20250515


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
