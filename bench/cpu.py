"""CPU time and memory of the server under test, read from /proc: the figures that do not swing with the load
other jobs put on a shared machine (requests/s ratios do, by ±30 %).

The server is every ``uvicorn`` process in the tree we started (honcho → sh → uvicorn master → workers): honcho
only exists here, Railway runs the Procfile line itself, so its CPU is not the service's.
"""

from __future__ import annotations

import os
from pathlib import Path

from backend.local.procfs import command_line, descendants

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def server_pids(root: int) -> list[int]:
    """``root`` and its descendants that run uvicorn (a worker's cmdline names multiprocessing, not uvicorn)."""
    tree = [root, *descendants(root)]
    servers = [pid for pid in tree if "uvicorn" in command_line(pid)]
    return [pid for pid in tree if pid in servers or any(pid in descendants(server) for server in servers)]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time these processes have used so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / CLOCK_TICKS


def rss_mib(pid: int) -> float | None:
    """Resident memory of one process, MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None
