"""Requests/s and latency of the app next to the baseline, one endpoint and connection count at a time.

App and baseline run back to back for each cell (not all app runs, then all baseline runs), so a machine that
slows down during the run slows both sides of a ratio alike. During every 64-connection app run the
connection sampler runs too: the budget is checked where it is most at risk.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bench.connections import ConnectionPeaks
from bench.services import USER_ID, Server
from bench.wrk import LoadResult, run_wrk

ENDPOINTS = {"GET /api/{user_id}/tasks": f"/api/{USER_ID}/tasks", "GET /health": "/health"}
SAMPLED_CONNECTIONS = 64

Sampler = Callable[[asyncio.Event], Awaitable[ConnectionPeaks]]


@dataclass(frozen=True)
class Cell:
    database_path: str
    endpoint: str
    connections: int
    app: LoadResult
    baseline: LoadResult

    @property
    def ratio(self) -> float:
        return self.app.requests_per_second / self.baseline.requests_per_second if self.baseline.requests else 0.0


async def measure_cell(wrk: str, app: Server, baseline: Server, endpoint: str, connections: int, seconds: int,
                       token: str, sampler: Sampler | None, peaks: list[ConnectionPeaks]) -> tuple[LoadResult, ...]:
    headers = {"Authorization": f"Bearer {token}"}
    path = ENDPOINTS[endpoint]
    base = await run_wrk(wrk, baseline.base_url + path, connections, seconds, headers)
    if sampler is None or connections != SAMPLED_CONNECTIONS:
        return base, await run_wrk(wrk, app.base_url + path, connections, seconds, headers)
    stop = asyncio.Event()
    sampling = asyncio.ensure_future(sampler(stop))
    try:
        result = await run_wrk(wrk, app.base_url + path, connections, seconds, headers)
    finally:
        stop.set()
        peaks.append(await sampling)
    return base, result


async def measure_path(wrk: str, database_path: str, app: Server, baseline: Server, levels: tuple[int, ...],
                       endpoints: tuple[str, ...], seconds: int, token: str,
                       sampler: Sampler | None) -> tuple[list[Cell], list[ConnectionPeaks]]:
    cells: list[Cell] = []
    peaks: list[ConnectionPeaks] = []
    for endpoint in endpoints:
        for connections in levels:
            base, result = await measure_cell(wrk, app, baseline, endpoint, connections, seconds, token,
                                              sampler, peaks)
            cell = Cell(database_path, endpoint, connections, result, base)
            print(f"  {database_path:9} {endpoint:26} c={connections:<3} app {result.requests_per_second:8.0f} "
                  f"req/s  baseline {base.requests_per_second:8.0f} req/s  ratio {cell.ratio:.2f}  "
                  f"errors {result.errors}/{base.errors}", flush=True)
            cells.append(cell)
    return cells, peaks
