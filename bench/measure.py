"""Tools the harness measures with: servers as processes, wrk, a lag sampler, py-spy."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
START_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def median_seconds(work: Callable[[], object], *, repeat: int, budget: float) -> float:
    """The median time of ``work`` over up to ``repeat`` runs (fewer if ``budget`` runs out)."""
    times: list[float] = []
    deadline = time.monotonic() + budget
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
        if time.monotonic() > deadline:
            break
    return statistics.median(times)


def interleaved_medians(
    first: Callable[[], object], second: Callable[[], object], *, repeat: int, budget: float
) -> tuple[float, float]:
    """The median times of two pieces of work run turn about, so that whatever else the
    machine does meanwhile weighs on both alike (their ratio is the figure)."""
    times: tuple[list[float], list[float]] = ([], [])
    deadline = time.monotonic() + budget
    for _ in range(repeat):
        for work, spent in zip((first, second), times, strict=True):
            started = time.perf_counter()
            work()
            spent.append(time.perf_counter() - started)
        if time.monotonic() > deadline:
            break
    return statistics.median(times[0]), statistics.median(times[1])


# Tools that may be missing


def ensure_wrk() -> str:
    """The wrk binary; installed from Debian's packages when missing (needs root and apt)."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: apt-get install wrk", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, env=env)
        found = shutil.which("wrk")
        if found:
            return found
    raise SystemExit("wrk is needed: apt-get install wrk (Debian/Ubuntu)")


def ensure_py_spy() -> str | None:
    """py-spy from the virtualenv; installed with pip when missing; ``None`` if impossible."""
    candidate = BIN / "py-spy"
    if not candidate.exists():
        print("py-spy is missing: pip install py-spy", flush=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "py-spy"],
            check=False,
            capture_output=True,
        )
    return str(candidate) if candidate.exists() else None


# Processes


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def stop(self, timeout: float = 30.0) -> int | None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=timeout)
            return None


def spawn(name: str, args: list[str], env: dict[str, str], logs: Path) -> Process:
    log = logs / f"{name}.log"
    with log.open("ab") as out:
        popen = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
    return Process(name, popen, log)


@dataclass
class Server:
    process: Process
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.popen.pid


def start_server(env: dict[str, str], logs: Path, name: str, workers: int = 1) -> Server:
    """The API (``tracker serve``, one worker unless told) on a free loopback port.

    Tried twice: on a shared machine the database may briefly refuse connections.
    """
    try:
        return _start_server(env, logs, name, workers)
    except RuntimeError as error:
        print(f"  {name} did not start ({str(error).splitlines()[-1]}); trying again", flush=True)
        time.sleep(5)
        return _start_server(env, logs, name, workers)


def _start_server(env: dict[str, str], logs: Path, name: str, workers: int) -> Server:
    port = free_port()
    command = [str(BIN / "tracker"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers)]
    return _started(spawn(name, command, env, logs), port, "/ready")


def start_bare(env: dict[str, str], logs: Path, name: str, bodies: Path) -> Server:
    """The bare Litestar app of bench/bare.py, serving ``bodies``, on a free loopback port."""
    port = free_port()
    command = [sys.executable, "-m", "bench.bare", str(port), str(bodies)]
    return _started(spawn(name, command, env, logs), port, "/health")


def _started(process: Process, port: int, ready_path: str) -> Server:
    """``process`` once it answers 200 at ``ready_path``."""
    server = Server(process, port)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(f"{process.name} exited at start:\n{process.tail()}")
        try:
            if httpx.get(f"{server.url}{ready_path}", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.stop()
    raise RuntimeError(f"{process.name} was not ready in {START_TIMEOUT} s:\n{process.tail()}")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used, all its threads included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_idle(pid: int, *, timeout: float = 20.0, interval: float = 0.25) -> None:
    """Until the process uses under 10 % of a core (requests queued by a load have drained)."""
    deadline = time.monotonic() + timeout
    try:
        before = cpu_seconds(pid)
        while time.monotonic() < deadline:
            time.sleep(interval)
            now = cpu_seconds(pid)
            if now - before < 0.1 * interval:
                return
            before = now
    except (OSError, ValueError, IndexError):
        time.sleep(1.0)


def start_projector(env: dict[str, str], logs: Path) -> Process:
    """``tracker projector`` (it needs two connections: one to apply, one to LISTEN)."""
    env = {**env, "TRACKER_DB_POOL_SIZE": "2"}
    return spawn("projector", [str(BIN / "tracker"), "projector", "--log-interval", "5"], env, logs)


# wrk


@dataclass
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int = 0
    socket_errors: int = 0
    output: str = ""


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not found:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(found.group(1)) * _UNITS[found.group(2)]


def parse_wrk(output: str) -> WrkResult:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    if not (rps and total and p50 and p99):
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return WrkResult(
        requests_per_second=float(rps.group(1)),
        p50_ms=_ms(p50.group(1)),
        p99_ms=_ms(p99.group(1)),
        requests=int(total.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(g) for g in errors.groups()) if errors else 0,
        output=output,
    )


def wrk(
    url: str,
    *,
    seconds: float,
    connections: int,
    script: Path | None = None,
    script_args: tuple[str, ...] = (),
    headers: Mapping[str, str] | None = None,
) -> WrkResult:
    """One bounded wrk run against a loopback URL (one wrk thread: the other core serves),
    each request with ``headers``."""
    if not url.startswith(("http://127.0.0.1:", "http://localhost:")):
        raise ValueError(f"load goes to loopback only, not {url}")
    command = [
        ensure_wrk(),
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "--latency",
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 30, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr}")
    return parse_wrk(done.stdout)


# Projector lag, sampled while a load runs


@dataclass
class LagSamples:
    times: list[float] = field(default_factory=list)
    heads: list[int] = field(default_factory=list)
    applied: list[int] = field(default_factory=list)

    def event_lags(self) -> list[float]:
        return [float(max(h - a, 0)) for h, a in zip(self.heads, self.applied, strict=True)]

    def time_lags_ms(self) -> list[float]:
        """For each sample: how long until the position that was the head then was applied.

        Resolution is the sampling interval; a head never applied before the end counts up
        to the last sample (so the figure is a lower bound only in that case).
        """
        lags = []
        j = 0
        for i, head in enumerate(self.heads):
            j = max(j, i)
            while j < len(self.applied) - 1 and self.applied[j] < head:
                j += 1
            lags.append((self.times[j] - self.times[i]) * 1000)
        return lags


@contextmanager
def sampling_lag(
    head: Callable[[], int], applied: Callable[[], int], interval: float = 0.02
) -> Iterator[LagSamples]:
    samples = LagSamples()
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            started = time.monotonic()
            try:
                h = head()
                a = applied()
            except Exception:  # noqa: BLE001 - a missed sample is not a failed benchmark
                stop.wait(interval)
                continue
            samples.times.append(started)
            samples.heads.append(h)
            samples.applied.append(a)
            stop.wait(max(0.0, interval - (time.monotonic() - started)))

    thread = threading.Thread(target=run, name="lag-sampler", daemon=True)
    thread.start()
    try:
        yield samples
    finally:
        stop.set()
        thread.join(timeout=5)


# Profiles (py-spy)


@dataclass
class Profile:
    title: str
    samples: int
    #: Our own functions (tracker/, api/), by inclusive share of the samples.
    ours: list[tuple[str, float]]
    #: Self time (the innermost frame) added up by package.
    packages: list[tuple[str, float]]
    #: The functions with the most self time.
    own: list[tuple[str, float]]


def _frame_name(frame: str) -> tuple[str, str]:
    """``function (pkg/mod.py:12)`` (py-spy's short paths) → (``function (pkg/mod.py)``, ``pkg``).

    A module without a package (``threading.py``) is the standard library's: ``python``.
    """
    found = re.match(r"^(.*) \((.*?):\d+\)$", frame)
    if not found:
        return frame, "python"
    function, path = found.groups()
    parts = Path(path).parts
    if REPO.parts == parts[: len(REPO.parts)]:
        parts = parts[len(REPO.parts) :]
    elif "site-packages" in parts:
        parts = parts[parts.index("site-packages") + 1 :]
    package = parts[0] if len(parts) > 1 else "python"
    return f"{function} ({'/'.join(parts[-3:])})", package


def summarize(raw: Path, title: str, *, focus: str | None = None, top: int = 10) -> Profile:
    """What py-spy's raw (collapsed) samples say: our functions, packages, hottest frames."""
    ours: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames = stack.split(";")
        if focus and not any(focus in f for f in frames):
            continue
        count = int(count_text)
        total += count
        named = [_frame_name(f) for f in frames]
        for name in dict.fromkeys(n for n, package in named if package in ("tracker", "api")):
            ours[name] += count
        leaf, package = named[-1]
        own[leaf] += count
        packages[package] += count

    def shares(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(name, 100 * count / total) for name, count in counter.most_common(top)]

    if not total:
        return Profile(title, 0, [], [], [])
    return Profile(title, total, shares(ours), shares(packages), shares(own))


@contextmanager
def profiling(py_spy: str | None, pid: int, seconds: float, out: Path) -> Iterator[None]:
    """py-spy samples ``pid`` for ``seconds`` while the body runs (nothing if no py-spy)."""
    if py_spy is None:
        yield
        return
    command = [
        py_spy,
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(max(1, round(seconds))),
        "--rate",
        "100",
        "--nonblocking",
        "--format",
        "raw",
        "--output",
        str(out),
    ]
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)  # let it attach
    try:
        yield
    finally:
        try:
            spy.wait(timeout=seconds + 30)
        except subprocess.TimeoutExpired:
            spy.kill()
            spy.wait()


def scratch_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="tracker-bench-"))
