"""One worker against two (issue 12 target 4): the same replica budget (DATABASE_MAX_CONNECTIONS) shared by
WEB_CONCURRENCY=2 workers, interleaved on the task list at 64 connections, the connections sampled during both
sides' runs (the two workers' are the budget's figure), and each process's resident memory once the load is over
(target 6).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from backend.local.procfs import command_line
from bench.connections import ConnectionPeaks
from bench.cpu import rss_mib
from bench.services import Server
from bench.throughput import ENDPOINTS, SAMPLED_CONNECTIONS, Measured, Sampler, measure

TASKS = ENDPOINTS["GET /api/{user_id}/tasks"]


@dataclass
class WorkersResult:
    pairs: list[tuple[Measured, Measured]] = field(default_factory=list)  # (one worker, two workers)

    @property
    def peaks(self) -> list[ConnectionPeaks]:
        """The connection samples of the two-worker runs."""
        return [double.peaks for _, double in self.pairs if double.peaks is not None]


async def measure_workers(wrk: str, one: Server, two: Server, token: str, seconds: int, rounds: int,
                          sampler: Sampler) -> WorkersResult:
    headers = {"Authorization": f"Bearer {token}"}
    result = WorkersResult()
    for number in range(rounds):
        if number % 2 == 0:  # A B, then B A, as bench.throughput's cells
            single = await measure(wrk, one, TASKS, SAMPLED_CONNECTIONS, seconds, headers, "", sampler)
            double = await measure(wrk, two, TASKS, SAMPLED_CONNECTIONS, seconds, headers, "", sampler)
        else:
            double = await measure(wrk, two, TASKS, SAMPLED_CONNECTIONS, seconds, headers, "", sampler)
            single = await measure(wrk, one, TASKS, SAMPLED_CONNECTIONS, seconds, headers, "", sampler)
        result.pairs.append((single, double))
    return result


def resident_memory(server: Server) -> list[float]:
    """RSS in MiB of uvicorn, then of each worker it spawned (multiprocessing's resource tracker left out)."""
    pids = [pid for pid in server.pids() if "resource_tracker" not in command_line(pid)]
    return [rss for rss in (rss_mib(pid) for pid in pids) if rss is not None]
