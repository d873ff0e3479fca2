"""Requests/s, latency and server CPU time per request of the app next to the baseline, one cell at a time.

Each cell runs ``rounds`` interleaved pairs (baseline, app, then app, baseline …), so a machine that slows down during
the run slows both sides of a ratio alike; the cell's ratio is the median round's. Next to each requests/s figure
stands the CPU time the server's own processes spent per request (from /proc): on a machine shared with other jobs
requests/s ratios swing by ±30 %, CPU per request barely moves. The connection budget is checked where it is most
at risk — at 64 connections — in one more run of each side after the cell's rounds, with the connection sampler
beside it: the sampler takes CPU from the same two cores (the kernel writes /proc/net/tcp by walking its whole
connection table), so it never runs during a round that counts for a ratio (ADR 0018, step 17).
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from bench.connections import ConnectionPeaks
from bench.cpu import cpu_seconds
from bench.services import USER_ID, Server
from bench.wrk import LoadResult, run_wrk

ENDPOINTS = {"GET /api/{user_id}/tasks": f"/api/{USER_ID}/tasks", "GET /health": "/health"}
SAMPLED_CONNECTIONS = 64
T = TypeVar("T")

Sampler = Callable[[Server, asyncio.Event], Awaitable[ConnectionPeaks]]  # counts that server's connections until set


@dataclass(frozen=True)
class Measured:
    """One wrk run against one server, with the CPU time its processes used per request (ms) and, when sampled,
    the peaks of its database connections."""

    load: LoadResult
    cpu_ms: float | None
    peaks: ConnectionPeaks | None = None


@dataclass(frozen=True)
class Round:
    app: Measured
    baseline: Measured

    @property
    def ratio(self) -> float:
        base = self.baseline.load.requests_per_second
        return self.app.load.requests_per_second / base if base else 0.0


@dataclass(frozen=True)
class Cell:
    database_path: str
    endpoint: str
    connections: int
    rounds: list[Round]
    sampled: Round | None = None  # the extra run of each side with the connection sampler; not in the ratio

    @property
    def median_round(self) -> Round:
        return sorted(self.rounds, key=lambda one: one.ratio)[len(self.rounds) // 2]

    @property
    def ratio(self) -> float:
        return statistics.median(one.ratio for one in self.rounds)

    @property
    def app(self) -> Measured:
        return self.median_round.app

    @property
    def baseline(self) -> Measured:
        return self.median_round.baseline

    @property
    def errors(self) -> int:
        """The app's errors in every run of the cell, the sampled one included."""
        runs = [*self.rounds, *([self.sampled] if self.sampled else [])]
        return sum(one.app.load.errors for one in runs)

    @property
    def p99_ratio(self) -> float:
        """Median app p99 over median baseline p99."""
        base = statistics.median(one.baseline.load.p99_ms for one in self.rounds)
        return statistics.median(one.app.load.p99_ms for one in self.rounds) / base if base else 0.0


async def interleaved(number: int, *runs: Callable[[], Awaitable[T]]) -> list[T]:
    """Round ``number`` of an interleaved comparison: the runs in their order in even rounds, in reverse in odd ones
    (A B, then B A), so a machine slowing down or calming across the rounds favours no side. The results come back
    in the runs' order whatever the round."""
    order = range(len(runs)) if number % 2 == 0 else range(len(runs) - 1, -1, -1)
    results: dict[int, T] = {}
    for index in order:
        results[index] = await runs[index]()
    return [results[index] for index in range(len(runs))]


async def measure(wrk: str, server: Server, path: str, connections: int, seconds: int, headers: dict[str, str],
                  workload: str = "", sampler: Sampler | None = None) -> Measured:
    """One wrk run, the server's CPU time around it, and (when given) the connection sampler during it."""
    pids = server.pids()
    before = cpu_seconds(pids)
    stop = asyncio.Event()
    sampling = asyncio.ensure_future(sampler(server, stop)) if sampler else None
    try:
        load = await run_wrk(wrk, server.base_url + path, connections, seconds, headers, workload)
    finally:
        stop.set()
        peaks = await sampling if sampling is not None else None
    used = cpu_seconds(pids) - before
    return Measured(load, used * 1000 / load.requests if pids and load.requests else None, peaks)


async def measure_cell(wrk: str, database_path: str, app: Server, baseline: Server, endpoint: str, connections: int,
                       seconds: int, token: str, sampler: Sampler | None, rounds: int) -> Cell:
    headers = {"Authorization": f"Bearer {token}"}
    path = ENDPOINTS[endpoint]
    found = []
    for number in range(rounds):
        base, mine = await interleaved(number, lambda: measure(wrk, baseline, path, connections, seconds, headers),
                                       lambda: measure(wrk, app, path, connections, seconds, headers))
        found.append(Round(mine, base))
    sampled = None
    if sampler is not None and connections == SAMPLED_CONNECTIONS:
        sampled = Round(await measure(wrk, app, path, connections, seconds, headers, "", sampler),
                        await measure(wrk, baseline, path, connections, seconds, headers, "", sampler))
    return Cell(database_path, endpoint, connections, found, sampled)


def describe(measured: Measured) -> str:
    cpu = f"{measured.cpu_ms:.2f} ms" if measured.cpu_ms is not None else "n/a"
    return f"{measured.load.requests_per_second:8.0f} req/s (CPU {cpu}/req)"


async def measure_path(wrk: str, database_path: str, app: Server, baseline: Server, levels: tuple[int, ...],
                       endpoints: tuple[str, ...], seconds: int, token: str, sampler: Sampler | None,
                       targeted: Callable[[str, int], int]) -> list[Cell]:
    """Every (endpoint, level) cell; ``targeted(endpoint, connections)`` says how many rounds a cell gets."""
    cells: list[Cell] = []
    for endpoint in endpoints:
        for connections in levels:
            cell = await measure_cell(wrk, database_path, app, baseline, endpoint, connections, seconds, token,
                                      sampler, targeted(endpoint, connections))
            print(f"  {database_path:9} {endpoint:26} c={connections:<3} app {describe(cell.app)}  baseline "
                  f"{describe(cell.baseline)}  ratio {cell.ratio:.2f} "
                  f"({', '.join(f'{one.ratio:.2f}' for one in cell.rounds)})  errors {cell.errors}", flush=True)
            cells.append(cell)
    return cells


def sampled_peaks(cells: list[Cell], side: str) -> list[ConnectionPeaks]:
    """The connection samples taken during one side's (``"app"`` or ``"baseline"``) sampled runs of these cells."""
    return [peaks for cell in cells if cell.sampled is not None
            if (peaks := getattr(cell.sampled, side).peaks) is not None]
