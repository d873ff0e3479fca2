"""Database dropout under load (spec edge case; issue 5 target: 0 × 500, 0 lost, /health 200 ≤ 5 s after).

Workers create a task and read it back, over and over, while PostgreSQL is stopped (``pg_ctl -m fast``, as a
Neon compute suspending) and started again. Every response is counted by phase (before / during / after the
outage) and status; every task acknowledged with a 201 must be readable at the end. A separate poller times
the gap between "PostgreSQL accepts connections again" and the first ``/health`` 200, per server.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg
import httpx

from bench.services import USER_ID, Server

PHASES = ("before", "during", "after")
REQUEST_TIMEOUT_SECONDS = 10
MAX_OPERATIONS_PER_WORKER = 5000
HEALTH_POLL_SECONDS = 0.05
RECOVERY_LIMIT_SECONDS = 30
READ_BACK_SECONDS = 15


@dataclass
class DropoutResult:
    label: str
    counts: dict[str, Counter[str]] = field(default_factory=lambda: {phase: Counter() for phase in PHASES})
    acknowledged: list[int] = field(default_factory=list)
    lost: int = 0  # acknowledged, yet not in the tasks table: the durability figure
    unreadable: int = 0  # acknowledged, in the table, but the API did not answer 200 for it afterwards
    unchecked: int = 0  # the API read-back ran out of time before reaching these
    hung_workers: int = 0  # load workers still waiting for an answer when the run ended
    recovery_seconds: float | None = None

    def total(self, status: str) -> int:
        return sum(counts[status] for counts in self.counts.values())

    def summary(self, phase: str) -> str:
        return ", ".join(f"{status}×{count}" for status, count in sorted(self.counts[phase].items())) or "none"


class Clock:
    """The shared phase every worker reads when it records a response."""

    def __init__(self) -> None:
        self.phase = PHASES[0]
        self.stopped = False


async def _worker(client: httpx.AsyncClient, result: DropoutResult, clock: Clock, number: int) -> None:
    for operation in range(MAX_OPERATIONS_PER_WORKER):
        if clock.stopped:
            return
        status = await _request(client, "POST", f"/api/{USER_ID}/tasks",
                                {"title": f"dropout {number}-{operation}", "description": None})
        result.counts[clock.phase][status.label] += 1
        if status.code == 201 and status.task_id is not None:
            result.acknowledged.append(status.task_id)
            read = await _request(client, "GET", f"/api/{USER_ID}/tasks/{status.task_id}", None)
            result.counts[clock.phase][read.label] += 1
        elif status.code != 201:
            await asyncio.sleep(0.02)  # a refused write is retried by a real client after a pause, not in a spin


@dataclass(frozen=True)
class Outcome:
    label: str
    code: int | None
    task_id: int | None


async def _request(client: httpx.AsyncClient, method: str, path: str, body: object) -> Outcome:
    try:
        response = await client.request(method, path, json=body)
    except httpx.TransportError as error:
        return Outcome(type(error).__name__, None, None)
    task_id = None
    if response.status_code == 201:
        task_id = int(response.json()["id"])
    return Outcome(str(response.status_code), response.status_code, task_id)


async def _first_health_200(client: httpx.AsyncClient, since: float) -> float | None:
    while time.monotonic() - since < RECOVERY_LIMIT_SECONDS:
        try:
            if (await client.get("/health")).status_code == 200:
                return time.monotonic() - since
        except httpx.TransportError:
            pass
        await asyncio.sleep(HEALTH_POLL_SECONDS)
    return None


async def _missing_from_database(postgres_url: str, ids: list[int]) -> int:
    """Acknowledged ids absent from the table, asked of PostgreSQL itself: lost writes, whatever the app does."""
    connection = await asyncpg.connect(postgres_url)
    try:
        found = await connection.fetchval("SELECT count(*) FROM tasks WHERE id = ANY($1::bigint[])", ids)
    finally:
        await connection.close()
    return len(set(ids)) - int(found)


async def _read_back(client: httpx.AsyncClient, ids: list[int], budget: float) -> tuple[int, int]:
    """(not 200, not checked in time) for reading every acknowledged task back through the API."""
    deadline = time.monotonic() + budget
    gate = asyncio.Semaphore(8)
    unreadable = unchecked = 0

    async def read(task_id: int) -> None:
        nonlocal unreadable, unchecked
        async with gate:
            left = deadline - time.monotonic()
            if left <= 0:
                unchecked += 1
                return
            try:
                response = await client.get(f"/api/{USER_ID}/tasks/{task_id}", timeout=min(left, 5.0))
            except httpx.TransportError:
                unreadable += 1
                return
            unreadable += response.status_code != 200

    await asyncio.gather(*(read(task_id) for task_id in ids))
    return unreadable, unchecked


async def measure_dropout(servers: list[Server], token: str, postgres_url: str, stop_database: Callable[[], None],
                          start_database: Callable[[], None], workers: int = 4, before: float = 2.0,
                          down: float = 3.0, after: float = 4.0) -> list[DropoutResult]:
    """Run the load on every server at once, take the database away for ``down`` seconds, then check."""
    headers = {"Authorization": f"Bearer {token}"}
    clock = Clock()
    results = [DropoutResult(server.label) for server in servers]
    clients = [httpx.AsyncClient(base_url=server.base_url, headers=headers, timeout=REQUEST_TIMEOUT_SECONDS)
               for server in servers]
    try:
        per_server = [[asyncio.ensure_future(_worker(client, result, clock, number)) for number in range(workers)]
                      for client, result in zip(clients, results, strict=True)]
        tasks = [task for group in per_server for task in group]
        await asyncio.sleep(before)
        clock.phase = "during"
        await asyncio.to_thread(stop_database)
        await asyncio.sleep(down)
        await asyncio.to_thread(start_database)
        back = time.monotonic()
        clock.phase = "after"
        recoveries = await asyncio.gather(*(_first_health_200(client, back) for client in clients))
        await asyncio.sleep(max(0.0, after - (time.monotonic() - back)))
        clock.stopped = True
        _, hung = await asyncio.wait(tasks, timeout=REQUEST_TIMEOUT_SECONDS + 2)
        for task in hung:
            task.cancel()
        for client, result, recovery, group in zip(clients, results, recoveries, per_server, strict=True):
            result.recovery_seconds = recovery
            result.hung_workers = sum(1 for task in group if task in hung)
            result.lost = await _missing_from_database(postgres_url, result.acknowledged)
            result.unreadable, result.unchecked = await _read_back(client, result.acknowledged, READ_BACK_SECONDS)
    finally:
        for client in clients:
            await client.aclose()
    return results
