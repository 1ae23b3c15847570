"""The figures of one ``make bench`` run: each value beside its reference and target."""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bench.data import Generated
from bench.measure import Profile, scratch_dir

if TYPE_CHECKING:
    from bench.scale import Generating


@dataclass
class Figure:
    section: str
    database: str
    what: str
    value: float
    unit: str
    reference_what: str
    reference: float | None
    #: ``("≥", 0.7)``: ratio at least 0.7; ``("≤", 2.0)``: at most 2; ``("abs≤", 1000)``: the
    #: value itself at most 1000 (in its unit); ``None``: no target, reported for the trend.
    target: tuple[str, float] | None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.reference in (None, 0):
            return None
        return self.value / self.reference

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        kind, bound = self.target
        if kind == "abs≤":
            return self.value <= bound
        if self.ratio is None:
            return None
        return self.ratio >= bound if kind == "≥" else self.ratio <= bound

    def target_text(self) -> str:
        if self.target is None:
            return "—"
        kind, bound = self.target
        return f"≤ {bound:g} {self.unit}" if kind == "abs≤" else f"{kind} {bound:g}"


def fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    if value >= 100:
        text = f"{value:,.0f}"
    elif value >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}".strip()


@dataclass
class Run:
    args: argparse.Namespace
    started: float = field(default_factory=time.monotonic)
    figures: list[Figure] = field(default_factory=list)
    profiles: list[Profile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)
    #: Seconds each part of the run took, in order.
    sections: dict[str, float] = field(default_factory=dict)
    py_spy: str | None = None
    access_log_measured: bool = False
    import_memory_measured: bool = False
    #: The SQLite file of the as-of-at-scale data set and what was generated into it, once
    #: made: PostgreSQL's data set is the same log, copied.
    scale_log: tuple[Path, Generated] | None = None
    #: SQLite's scale data set while a process of its own generates it (bench.scale).
    scale_generating: Generating | None = None
    logs: Path = field(default_factory=scratch_dir)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        ratio = f"{figure.ratio:.3g}×" if figure.ratio is not None else "—"
        met = {True: "met", False: "MISSED", None: ""}[figure.met]
        print(
            f"  {figure.database:<10} {figure.what:<46} {fmt(figure.value, figure.unit):>14}"
            f"  vs {fmt(figure.reference, figure.unit):>14} ({figure.reference_what})"
            f"  ratio {ratio:<8} target {figure.target_text()} {met}",
            flush=True,
        )
        return figure

    def note(self, text: str) -> None:
        print(f"  note: {text}", flush=True)
        self.notes.append(text)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @contextmanager
    def section(self, title: str) -> Iterator[None]:
        """A part of the run: announced, and its minutes kept for the report (the whole run
        should take less than 15 minutes, bench/README.md)."""
        print(f"\n== {title}", flush=True)
        started = time.monotonic()
        try:
            yield
        finally:
            self.sections[title] = time.monotonic() - started
            print(f"   ({self.sections[title] / 60:.1f} min)", flush=True)
