"""Figures of the served API beyond single reads: a page in another language, a second
worker, and a write reaching a thousand live clients (issue 17's targets)."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import httpx

from bench.figures import Figure, Run
from bench.measure import Server, percentile, start_server, wrk
from bench.reads import in_turns

#: Clients on the event stream for the fan-out figure, and writes made while they listen.
SSE_CLIENTS = 1000
SSE_WRITES = 20
SSE_PAUSE = 0.25


#: The page as wrk asks for it by default, and as a browser does.
ENCODINGS = (("", {"Accept-Encoding": "identity"}), (", gzip", {"Accept-Encoding": "gzip"}))


def measure_languages(
    run: Run, label: str, server: Server, portfolio: uuid.UUID, connections: int
) -> None:
    """The portfolio page in Russian against the same page in English (target: at most
    1.1× its cost, i.e. at least 1/1.1 of its request rate), sent as it is and, as browsers
    ask for it, gzip-compressed: served from memory, a page's cost is mostly its bytes, and
    the Russian one has a sixth more (Cyrillic takes two bytes a letter in UTF-8)."""
    page = f"{server.url}/portfolios/{portfolio}"
    urls = {lang: f"{page}?lang={lang}" for lang in ("en", "ru")}
    for url in urls.values():
        httpx.get(url, timeout=120).raise_for_status()  # rendered once, then from memory
        wrk(url, seconds=1, connections=4)
    for named, headers in ENCODINGS:
        results = in_turns(
            {lang: (server, url) for lang, url in urls.items()},
            run.args.seconds,
            connections,
            headers,
        )
        sizes = {
            lang: httpx.get(url, headers=headers).num_bytes_downloaded for lang, url in urls.items()
        }
        run.add(
            Figure(
                "read",
                label,
                f"the portfolio page in Russian{named}",
                results["ru"].requests_per_second,
                "req/s",
                "the same page in English",
                results["en"].requests_per_second,
                ("≥", round(1 / 1.1, 3)),
                note=f"p99 {results['ru'].p99_ms:.0f} ms (English {results['en'].p99_ms:.0f} ms); "
                f"{sizes['ru'] / 1000:,.0f} KB (English {sizes['en'] / 1000:,.0f} KB)",
            )
        )


def measure_workers(run: Run, label: str, env: dict[str, str], portfolio: uuid.UUID) -> None:
    """``tracker serve --workers 2`` against one worker on the same progress read: two fresh
    servers measured in turns (the seeded server had served minutes of load, and the machine
    had moved on since its reads were measured)."""
    one = start_server(env, run.logs, f"api-{label}-1-worker")
    two = start_server(env, run.logs, f"api-{label}-2-workers", workers=2)
    try:
        path = f"/api/v1/portfolios/{portfolio}/progress"
        for server in (one, two):
            wrk(f"{server.url}{path}", seconds=2, connections=8)  # every worker warms its cache
        turns = in_turns(
            {"two": (two, f"{two.url}{path}"), "one": (one, f"{one.url}{path}")},
            run.args.seconds,
        )
        two_workers, one_worker = turns["two"], turns["one"]
    finally:
        one.process.stop()
        two.process.stop()
    run.add(
        Figure(
            "read",
            label,
            "GET …/progress with 2 workers",
            two_workers.requests_per_second,
            "req/s",
            "one worker (a fresh server, in turns)",
            one_worker.requests_per_second,
            ("≥", 1.5),
            note="2 cores, one of them also running wrk",
        )
    )


def measure_fan_out(run: Run, label: str, server: Server, ids_file: Path, token: str) -> None:
    """Writes while :data:`SSE_CLIENTS` clients listen on ``/api/v1/events/stream``: from
    each write's answer to each client's receipt of its event."""
    latencies, missing = asyncio.run(_fan_out(server, ids_file, token))
    if missing:
        run.note(f"{label} fan-out: {missing} (client, event) pairs never arrived in 30 s")
    run.add(
        Figure(
            "freshness",
            label,
            f"write → seen by {SSE_CLIENTS:,} SSE clients, p99",
            percentile(latencies, 0.99) * 1000 if latencies else float("inf"),
            "ms",
            "—",
            None,
            ("abs≤", 500),
            note=f"{SSE_WRITES} writes {SSE_PAUSE * 1000:.0f} ms apart; median "
            f"{percentile(latencies, 0.5) * 1000:.0f} ms"
            if latencies
            else "nothing arrived",
        )
    )


async def _fan_out(server: Server, ids_file: Path, token: str) -> tuple[list[float], int]:
    projects = [line for line in ids_file.read_text().split() if line]
    received: list[dict[int, float]] = [{} for _ in range(SSE_CLIENTS)]
    ready = asyncio.Event()
    connected = 0

    async def listen(index: int) -> None:
        nonlocal connected
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(
            b"GET /api/v1/events/stream HTTP/1.1\r\nHost: bench\r\n"
            b"Accept: text/event-stream\r\n\r\n"
        )
        await writer.drain()
        seen = received[index]
        try:
            while line := await reader.readline():
                if line.startswith(b"HTTP/1.1 200"):
                    connected += 1
                    if connected == SSE_CLIENTS:
                        ready.set()
                elif line.startswith(b"id: "):
                    seen[int(line[4:])] = time.perf_counter()
        finally:
            writer.close()

    listeners = [asyncio.create_task(listen(i)) for i in range(SSE_CLIENTS)]
    acknowledged: dict[int, float] = {}
    try:
        await asyncio.wait_for(ready.wait(), timeout=60)
        await asyncio.sleep(1)  # every stream has read its start position
        headers = {"Authorization": f"Bearer {token}"}
        body = {
            "type": "committed",
            "amount": {"amount": "1000.00", "currency": "USD"},
            "effective_date": "2025-02-01",
        }
        async with httpx.AsyncClient(base_url=server.url, headers=headers) as client:
            for n in range(SSE_WRITES):
                answer = await client.post(
                    f"/api/v1/projects/{projects[n % len(projects)]}/events", json=body
                )
                answer.raise_for_status()
                acknowledged[answer.json()["position"]] = time.perf_counter()
                await asyncio.sleep(SSE_PAUSE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(
            len(set(seen) & acknowledged.keys()) < len(acknowledged) for seen in received
        ):
            await asyncio.sleep(0.2)
    finally:
        for task in listeners:
            task.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)
    latencies = [
        max(0.0, seen[position] - at)
        for seen in received
        for position, at in acknowledged.items()
        if position in seen
    ]
    return latencies, len(received) * len(acknowledged) - len(latencies)
