"""The machine's description and the Markdown report written to docs/BENCHMARKS.md."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from contextlib import suppress
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import psycopg

from bench.databases import POSTGRES_URL
from bench.figures import Run, fmt
from bench.measure import REPO, ensure_wrk

DOCS = REPO / "docs" / "BENCHMARKS.md"
BEGIN = "<!-- bench:begin (written by `make bench`; edit outside these markers) -->"
END = "<!-- bench:end -->"


def machine(postgres: bool) -> dict[str, str]:
    info = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus (nproc)": str(os.cpu_count()),
        "memory": f"{_meminfo_gib():.1f} GiB",
        "cpu model": _cpu_model(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "load average at start (1/5/15 min)": " / ".join(f"{x:.2f}" for x in os.getloadavg()),
    }
    if postgres:
        with psycopg.connect(POSTGRES_URL) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            autovacuum = conn.execute("SHOW autovacuum").fetchone()
            info["postgresql"] = (
                f"{row[0] if row else '?'} (autovacuum {autovacuum[0] if autovacuum else '?'})"
            )
    packages = ("litestar", "uvicorn", "eventsourcing", "SQLAlchemy", "psycopg", "msgspec")
    info["packages"] = ", ".join(f"{name} {version(name)}" for name in packages)
    with suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run([ensure_wrk(), "--version"], capture_output=True, text=True)
        info["wrk"] = (done.stdout or done.stderr).split("[")[0].strip()
    return info


def _meminfo_gib() -> float:
    with suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    return 0.0


def _cpu_model() -> str:
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def markdown(run: Run, info: dict[str, str]) -> str:
    lines = [BEGIN, "", f"## Latest run: {info['date']}", ""]
    lines += ["| machine | |", "| --- | --- |"]
    lines += [f"| {key} | {value} |" for key, value in info.items() if key != "date"]
    lines += [
        f"| load average at end | {' / '.join(f'{x:.2f}' for x in os.getloadavg())} |",
        f"| run time | {run.elapsed() / 60:.1f} min, {run.args.seconds:g} s per load measurement |",
        "",
        "| section | database | figure | value | reference | ref. value | ratio | target "
        "| met | note |",
        "| --- | --- | --- | ---: | --- | ---: | ---: | --- | --- | --- |",
    ]
    for f in run.figures:
        ratio = f"{f.ratio:.3g}×" if f.ratio is not None else "—"
        met = {True: "yes", False: "**no**", None: "—"}[f.met]
        lines.append(
            f"| {f.section} | {f.database} | {f.what} | {fmt(f.value, f.unit)} | "
            f"{f.reference_what} | {fmt(f.reference, f.unit)} | {ratio} | {f.target_text()} "
            f"| {met} | {f.note} |"
        )
    if run.facts:
        lines += ["", "Details:", ""]
        lines += [f"- {key}: {value}" for key, value in run.facts.items()]
    if run.sections:
        lines += ["", "Time per part of the run:", ""]
        lines += [f"- {title}: {seconds / 60:.1f} min" for title, seconds in run.sections.items()]
    if run.notes:
        lines += ["", "Notes from the run:", ""]
        lines += [f"- {note}" for note in run.notes]
    if run.profiles:
        lines += [
            "",
            "### Profiles (py-spy, 100 Hz; share of the samples)",
            "",
            "Our code: inclusive share of each tracker/api function. Packages: where the "
            "innermost frame was (self time; `sqlalchemy` self time on SQLite is mostly SQLite "
            "executing the query inside `fetchone`/`do_execute`, `psycopg` self time is mostly "
            "waiting for PostgreSQL's answer).",
            "",
        ]
        for profile in run.profiles:
            lines += [f"**{profile.title}** ({profile.samples:,} samples)", ""]
            lines += [
                "| our code (inclusive) | % | package (self) | % | function (self) | % |",
                "| --- | ---: | --- | ---: | --- | ---: |",
            ]
            columns = (profile.ours, profile.packages, profile.own)
            for index in range(max(len(c) for c in columns)):
                cells = []
                for column in columns:
                    if index < len(column):
                        name, share = column[index]
                        cells += [f"`{name}`", f"{share:.1f}"]
                    else:
                        cells += ["", ""]
                lines.append("| " + " | ".join(cells) + " |")
            lines.append("")
    lines += ["", END]
    return "\n".join(lines)


def write_docs(text: str) -> None:
    if DOCS.exists():
        current = DOCS.read_text()
        if BEGIN in current and END in current:
            head, _, rest = current.partition(BEGIN)
            _, _, tail = rest.partition(END)
            DOCS.write_text(head + text + tail)
            return
        DOCS.write_text(current.rstrip() + "\n\n" + text + "\n")
        return
    DOCS.write_text("# Benchmarks\n\nRun `make bench`; see bench/README.md.\n\n" + text + "\n")
