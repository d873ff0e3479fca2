"""Drive Debian's ``wrk`` (a C load generator: the client must not be the bottleneck) and read its numbers.

A small Lua ``done`` hook prints the summary as JSON, so nothing depends on wrk's human-readable layout.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from backend.local.debian import install_package

WRK_TIMEOUT_SECONDS = 10
# ``created`` counts 201 answers per thread (a workload script increments it); ``done`` sums the threads'.
REPORT_SCRIPT = """
created = 0
local threads = {}
setup = function(thread) table.insert(threads, thread) end
done = function(summary, latency, requests)
  local errors = summary.errors
  local acknowledged = 0
  for _, thread in ipairs(threads) do acknowledged = acknowledged + (thread:get("created") or 0) end
  io.write("WRK_JSON ", string.format(
    '{"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d,'
    .. ' "p50_us": %d, "p99_us": %d, "max_us": %d, "created": %d}\\n',
    summary.requests, summary.duration, errors.connect, errors.read, errors.write, errors.status,
    errors.timeout, latency:percentile(50), latency:percentile(99), latency.max, acknowledged))
end
"""


@dataclass(frozen=True)
class LoadResult:
    """One wrk run: requests/s, latency percentiles (ms) and every kind of error wrk counts."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    created: int = 0  # 201 answers, counted by a workload script (bench.mixed)

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return self.non_2xx + self.socket_errors


def ensure_wrk() -> str | None:
    """Path to wrk, installing Debian's package when missing and allowed (root or password-less sudo, the one
    installer the tests use too); None (with a hint printed) otherwise."""
    if shutil.which("wrk") is None:
        install_package("wrk")
    found = shutil.which("wrk")
    if found is None:
        print("wrk is not installed and could not be installed here: run `sudo apt-get install wrk` (Debian/Ubuntu) "
              "and `make bench` again; throughput rows are reported as not measured.", flush=True)
    return found


def _script(workload: str) -> Path:
    handle, name = tempfile.mkstemp(prefix="bench-wrk-", suffix=".lua")
    with os.fdopen(handle, "w") as script:
        script.write(REPORT_SCRIPT + workload)
    return Path(name)


async def run_wrk(wrk: str, url: str, connections: int, seconds: int, headers: dict[str, str],
                  workload: str = "") -> LoadResult:
    """``connections`` keep-alive connections for ``seconds``; wrk itself bounds the run in time. ``workload``:
    Lua defining ``request``/``response`` (default: GET ``url`` over and over)."""
    script = _script(workload)
    threads = 1 if connections == 1 else 2
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", f"--timeout={WRK_TIMEOUT_SECONDS}s",
               "--latency", "-s", str(script)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    try:
        process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE,
                                                       stderr=asyncio.subprocess.STDOUT)
        try:
            output, _ = await asyncio.wait_for(process.communicate(), timeout=seconds + WRK_TIMEOUT_SECONDS + 10)
        except TimeoutError:
            process.kill()  # our own child, by its handle
            await process.wait()
            raise
    finally:
        script.unlink(missing_ok=True)
    return parse_report(output.decode())


def parse_report(output: str) -> LoadResult:
    line = next((line for line in output.splitlines() if line.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no report:\n{output}")
    data = json.loads(line.removeprefix("WRK_JSON "))
    return LoadResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        non_2xx=data["status"],
        socket_errors=data["connect"] + data["read"] + data["write"] + data["timeout"],
        created=data.get("created", 0),
    )
