"""Writers of one aggregate in one process take turns (tracker/turns.py)."""

from __future__ import annotations

import threading

import pytest

from tracker.turns import Turns


def test_a_second_writer_of_the_same_aggregate_waits_and_another_aggregate_does_not() -> None:
    turns = Turns()
    order: list[str] = []
    inside = threading.Event()

    def second(aggregate: str) -> None:
        with turns.turn(aggregate):
            order.append(f"second {aggregate}")

    with turns.turn("a"):
        other = threading.Thread(target=second, args=("b",))
        other.start()
        other.join(timeout=10)
        assert not other.is_alive(), "a writer of another aggregate waited"
        same = threading.Thread(target=lambda: (inside.set(), second("a")))
        same.start()
        assert inside.wait(timeout=10)
        order.append("first a")
        assert len(turns) == 1
    same.join(timeout=10)
    assert order == ["second b", "first a", "second a"]


def test_a_turn_is_reentrant_and_nothing_is_kept_once_every_writer_is_done() -> None:
    turns = Turns()
    with turns.turn("a"), turns.turn("a"):
        assert len(turns) == 1
    assert len(turns) == 0

    def fail() -> None:
        with turns.turn("b"):
            raise RuntimeError("the write failed")

    with pytest.raises(RuntimeError, match="the write failed"):
        fail()
    assert len(turns) == 0
