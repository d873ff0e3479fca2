"""One worker against two (issue 12 target 4): the same replica budget (DATABASE_MAX_CONNECTIONS) shared by
WEB_CONCURRENCY=2 workers, interleaved on the task list at 64 connections; then one more run of the two workers
with the connection sampler beside it (the budget's figure; kept out of the ratio's rounds, as in
:mod:`bench.throughput`), and each process's resident memory once the load is over (target 6).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from backend.local.procfs import command_line
from bench.connections import ConnectionPeaks
from bench.cpu import rss_mib
from bench.services import Server
from bench.throughput import ENDPOINTS, SAMPLED_CONNECTIONS, Measured, Sampler, interleaved, measure

TASKS = ENDPOINTS["GET /api/{user_id}/tasks"]


@dataclass
class WorkersResult:
    pairs: list[tuple[Measured, Measured]] = field(default_factory=list)  # (one worker, two workers)
    sampled: Measured | None = None  # the two workers' extra run with the connection sampler

    @property
    def peaks(self) -> list[ConnectionPeaks]:
        return [self.sampled.peaks] if self.sampled is not None and self.sampled.peaks is not None else []


async def measure_workers(wrk: str, one: Server, two: Server, token: str, seconds: int, rounds: int,
                          sampler: Sampler) -> WorkersResult:
    headers = {"Authorization": f"Bearer {token}"}
    result = WorkersResult()

    async def run(server: Server) -> Measured:
        return await measure(wrk, server, TASKS, SAMPLED_CONNECTIONS, seconds, headers)

    for number in range(rounds):
        single, double = await interleaved(number, lambda: run(one), lambda: run(two))
        result.pairs.append((single, double))
    result.sampled = await measure(wrk, two, TASKS, SAMPLED_CONNECTIONS, seconds, headers, "", sampler)
    return result


def resident_memory(server: Server) -> list[float]:
    """RSS in MiB of uvicorn, then of each worker it spawned (multiprocessing's resource tracker left out)."""
    pids = [pid for pid in server.pids() if "resource_tracker" not in command_line(pid)]
    return [rss for rss in (rss_mib(pid) for pid in pids) if rss is not None]
