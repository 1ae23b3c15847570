"""The xdist worker groups of ``make test`` (tests/conftest.py): the tests that must share a
worker do, whatever xdist's own ``xdist_group`` marks do on this pytest (on pytest 9.2 they
grouped nothing, and the reliability tests ran side by side, measuring each other)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import WORKER_GROUPS, worker_group

ROOT = Path(__file__).resolve().parents[2]


def test_every_group_names_tests_that_exist() -> None:
    for path in WORKER_GROUPS:
        assert (ROOT / path).exists(), f"{path} is gone: its tests no longer share a worker"


def test_a_groups_tests_are_one_unit_of_work_and_the_rest_one_each() -> None:
    scopes = {
        nodeid: worker_group(nodeid)
        for nodeid in (
            "tests/reliability/test_topology.py::test_two_api_processes[sqlite]",
            "tests/reliability/test_postgres_outage.py::test_a_long_outage",
            "tests/browser/test_dashboard.py::test_an_empty_tracker[desktop]",
            "tests/http/test_reported_layer_pages.py::test_an_unknown_layer[postgres]",
            "tests/http/test_health.py::test_health",
            "tests/unit/test_chain_links.py::test_links_of",
        )
    }
    assert len({scopes[n] for n in scopes if n.startswith("tests/reliability/")}) == 1
    assert scopes["tests/browser/test_dashboard.py::test_an_empty_tracker[desktop]"] == "browser"
    for alone in (
        "tests/http/test_health.py::test_health",
        "tests/unit/test_chain_links.py::test_links_of",
    ):
        assert scopes[alone] == alone
