"""Cold start: Procfile process start → first ``/health`` 200 (what Railway's healthcheck waits for).

The database is already up and migrated, so this measures the service (interpreter, imports, settings,
engine, first round trip), not PostgreSQL's own start-up. Each start is stopped with SIGTERM before the next.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from backend.local.postgres import free_port
from backend.local.processes import stop_process
from backend.local.rehearsal import start_procfile_web, wait_until_healthy


@dataclass(frozen=True)
class ColdStart:
    seconds: list[float]
    exit_codes: list[int | None]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def measure_cold_starts(environment: dict[str, str], log_dir: Path, starts: int = 5) -> ColdStart:
    seconds: list[float] = []
    exit_codes: list[int | None] = []
    for number in range(starts):
        port = free_port()
        log = log_dir / f"coldstart-{number}.log"
        started = time.monotonic()
        process = start_procfile_web(port, environment, log)
        try:
            wait_until_healthy(f"http://127.0.0.1:{port}", process, log)
            seconds.append(time.monotonic() - started)
        finally:
            exit_codes.append(stop_process(process))
    return ColdStart(seconds, exit_codes)
