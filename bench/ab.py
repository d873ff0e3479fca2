"""A/B of two checkouts of the app on the task list (64 connections, PgBouncer): the tool behind ADR 0018's
per-change figures, quicker than the whole ``make bench``.

    .venv/bin/python -m bench.ab OTHER_CHECKOUT [--rounds 5] [--seconds 5]

Both apps run the Procfile line (``bench.services.start_app``) against one rehearsal's PostgreSQL and PgBouncer;
``OTHER_CHECKOUT`` (A, e.g. ``git worktree add /tmp/a main``) and this checkout (B) are measured in interleaved
rounds (A B A B …) with the server's CPU time per request, the figure that holds still on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import statistics
import tempfile
from pathlib import Path
from unittest import mock

from backend.local.rehearsal import Rehearsal
from bench import services
from bench.services import bench_token, seed_tasks, start_app
from bench.throughput import ENDPOINTS, interleaved, measure
from bench.wrk import ensure_wrk


def _start(label: str, checkout: Path, environment: dict[str, str], log_dir: Path) -> services.Server:
    with mock.patch.object(services, "ROOT", checkout):  # the Procfile line runs in (and imports from) checkout
        return start_app(label, environment, log_dir)


async def _rounds(wrk: str, servers: list[services.Server], rounds: int, seconds: int, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    path = ENDPOINTS["GET /api/{user_id}/tasks"]
    found: dict[str, list[tuple[float, float]]] = {server.label: [] for server in servers}

    async def one_run(number: int, server: services.Server) -> None:
        measured = await measure(wrk, server, path, 64, seconds, headers)
        found[server.label].append((measured.load.requests_per_second, measured.cpu_ms or 0.0))
        print(f"round {number + 1} {server.label}: {measured.load.requests_per_second:.0f} req/s, "
              f"CPU {measured.cpu_ms or 0:.3f} ms/req, errors {measured.load.errors}", flush=True)

    for number in range(rounds):
        await interleaved(number, *(functools.partial(one_run, number, server) for server in servers))
    for label, values in found.items():
        print(f"{label}: median {statistics.median(v[0] for v in values):.0f} req/s, "
              f"CPU median {statistics.median(v[1] for v in values):.3f} ms/req "
              f"(rounds {', '.join(f'{v[1]:.3f}' for v in values)})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("other", type=Path, help="checkout measured as A")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5)
    options = parser.parse_args()
    log_dir = Path(tempfile.mkdtemp(prefix="bench-ab-"))
    wrk = ensure_wrk()
    assert wrk is not None, "wrk is not installed"
    with Rehearsal(log_path=log_dir / "rehearsal.log", use_tls_edge=False) as rehearsal:
        token = bench_token(rehearsal.secret)
        seed_tasks(rehearsal.base_url, token)
        environment = rehearsal.environment()
        servers = [_start("A", options.other.resolve(), environment, log_dir),
                   _start("B", services.ROOT, environment, log_dir)]
        try:
            asyncio.run(_rounds(wrk, servers, options.rounds, options.seconds, token))
        finally:
            for server in servers:
                server.stop()


if __name__ == "__main__":
    main()
