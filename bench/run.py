"""The whole benchmark, in order: deploy, throughput + connection budget, cold start, dropout, suite speed.

Every process started here is stopped here (by its own handle), whatever fails.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import tempfile
import time
from pathlib import Path

from backend.local.rehearsal import Rehearsal
from backend.settings import Settings
from bench import figures
from bench.coldstart import measure_cold_starts
from bench.connections import ConnectionPeaks, pgbouncer_admin, refusals_in_logs, sample_connections
from bench.dropout import measure_dropout
from bench.machine import describe_machine
from bench.proxy import DelayProxy
from bench.report import Row, table, write
from bench.services import Server, direct_environment, mint_token, seed_tasks, start_app, start_baseline
from bench.suite import run_suite
from bench.throughput import ENDPOINTS, measure_path
from bench.wrk import ensure_wrk

SECONDS_PER_RUN = 5
LEVELS = (1, 16, 64)
COLD_STARTS = 5
DROPOUT_DOWN_SECONDS = 3.0
PROXY_DELAY_SECONDS = 0.1


def _limit(environment: dict[str, str]) -> int:
    """pool_size + max_overflow as this deployment is configured (environment first, then Settings' defaults)."""
    fields = Settings.model_fields
    size = int(environment.get("DATABASE_POOL_SIZE", fields["database_pool_size"].default))
    overflow = int(environment.get("DATABASE_MAX_OVERFLOW", fields["database_max_overflow"].default))
    return size + overflow


def _merge(peaks: list[ConnectionPeaks]) -> ConnectionPeaks:
    merged = ConnectionPeaks(samples=sum(p.samples for p in peaks))
    merged.app_backends = max((p.app_backends for p in peaks), default=0)
    merged.all_backends = max((p.all_backends for p in peaks), default=0)
    if any(p.pgbouncer_app_clients is not None for p in peaks):
        merged.pgbouncer_app_clients = max(p.pgbouncer_app_clients or 0 for p in peaks)
        merged.pgbouncer_servers = max(p.pgbouncer_servers or 0 for p in peaks)
    merged.errors = [error for p in peaks for error in p.errors]
    return merged


async def _bench(rehearsal: Rehearsal, log_dir: Path, rows: list[Row], notes: list[str]) -> None:
    postgres = rehearsal.postgres
    pgbouncer = rehearsal.pgbouncer
    production = rehearsal.environment()
    direct = direct_environment(rehearsal)
    limit = _limit(production)
    token = mint_token(rehearsal.secret)
    seed_tasks(rehearsal.base_url, token)
    app = Server("app (Procfile, PgBouncer)", rehearsal.base_url, None)  # the rehearsal owns this process
    wrk = ensure_wrk()
    pooled_label = "PgBouncer" if pgbouncer else "direct"

    # 1+2. Throughput and connection budget. The direct path runs first and its processes stop before the
    # PgBouncer path starts, so pg_stat_activity never mixes two apps' connections.
    if wrk is None:
        rows.append(Row("Throughput and connection budget", "not measured: wrk is not installed"))
    else:
        cells, pooled_peaks, direct_peaks = [], [], []
        if pgbouncer:
            await pgbouncer_admin(pgbouncer.port, "RECONNECT")  # drop its idle server connections first
            servers = [start_app("app-direct", direct, log_dir), start_baseline("baseline-direct", direct, log_dir)]
            try:
                found, direct_peaks = await measure_path(
                    wrk, "direct", servers[0], servers[1], (64,), tuple(ENDPOINTS), SECONDS_PER_RUN, token,
                    lambda stop: sample_connections(postgres.url, None, stop))
                cells += found
            finally:
                for server in servers:
                    server.stop()
        baseline = start_baseline(f"baseline-{pooled_label}", production, log_dir)
        try:
            port = pgbouncer.port if pgbouncer else None
            found, pooled_peaks = await measure_path(
                wrk, pooled_label, app, baseline, LEVELS, tuple(ENDPOINTS), SECONDS_PER_RUN, token,
                lambda stop: sample_connections(postgres.url, port, stop))
            cells = found + cells
        finally:
            baseline.stop()
        rows += figures.throughput_rows(cells)
        rows += figures.connection_rows(pooled_label, _merge(pooled_peaks), limit,
                                        pgbouncer.pool_size if pgbouncer else None)
        if direct_peaks:
            rows += figures.connection_rows("direct", _merge(direct_peaks), limit, None)
        for peaks in (*pooled_peaks, *direct_peaks):
            notes += [f"connection sampler: {error}" for error in peaks.errors[:3]]

    # 3. Cold start, against the already migrated database.
    print("cold start …", flush=True)
    rows.append(figures.cold_start_row(measure_cold_starts(production, log_dir, COLD_STARTS)))

    # 4. Dropout under load, on both database paths at once (the same PostgreSQL goes away under both).
    print("dropout …", flush=True)
    targets = [app]
    if pgbouncer:
        targets.append(start_app("app (Procfile, direct)", direct, log_dir))
    try:
        dropouts = await measure_dropout(targets, token, postgres.url, rehearsal.stop_database,
                                         rehearsal.start_database, down=DROPOUT_DOWN_SECONDS)
    finally:
        for server in targets[1:]:
            server.stop()
    logs = [postgres.data_dir / "server.log", *log_dir.glob("*.log")]
    if pgbouncer:
        logs.append(pgbouncer.work_dir / "pgbouncer.log")
    rows.insert(len(rows) - 1, figures.refusal_row(refusals_in_logs(*logs)))  # next to the connection rows
    rows += figures.dropout_rows(dropouts, DROPOUT_DOWN_SECONDS)

    # 5. Suite speed, directly and at a 200 ms round trip.
    print("acceptance suite …", flush=True)
    direct_run = await run_suite("direct", rehearsal.base_url, rehearsal.secret, rehearsal.allowed_origin)
    proxy = await DelayProxy("127.0.0.1", rehearsal.port, PROXY_DELAY_SECONDS).start()
    try:
        delayed_run = await run_suite(f"through proxy, {2 * PROXY_DELAY_SECONDS * 1000:.0f} ms RTT", proxy.url,
                                      rehearsal.secret, rehearsal.allowed_origin)
    finally:
        await proxy.stop()
    rows += figures.suite_rows(direct_run, delayed_run)
    notes += [f"Suite run {run.label}: output and reports in {run.output_dir}"
              for run in (direct_run, delayed_run) if run.output_dir]


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    """Turn SIGTERM into SystemExit so the ``finally`` blocks stop every process this run started."""
    sys.exit(128 + signum)


def main() -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    started = time.monotonic()
    machine = describe_machine()
    print("machine: " + "; ".join(f"{key} {value}" for key, value in machine.items()), flush=True)
    log_dir = Path(tempfile.mkdtemp(prefix="bench-logs-"))
    rows: list[Row] = []
    notes = [
        "Every ratio compares two runs made back to back in this run on this machine; requests/s figures only "
        "mean something next to their baseline.",
        "Baseline: bench/baseline_app.py, a bare ASGI callable on the same uvicorn (uvloop, httptools, access log "
        "on) doing the same SELECT through a raw asyncpg pool of pool_size+max_overflow connections over the same "
        "database path. It does not verify the JWT, validate or use an ORM: it is the stack's ceiling.",
        "wrk runs on the same 2 cores as the server, PgBouncer and PostgreSQL: absolute figures are lower than on "
        "a dedicated load generator; ratios are what the targets use.",
        "Not rehearsed (cannot exist here): Railway's TLS edge and a real Neon compute; PgBouncer + PostgreSQL on "
        "loopback stand in for Neon's pooler.",
        f"Process logs of this run: {log_dir}",
    ]
    rehearsal = Rehearsal(log_path=log_dir / "app-rehearsal.log")
    print("starting the production rehearsal …", flush=True)
    rehearsal.start()
    try:
        notes.insert(0, f"Production path: {rehearsal.database_path}; app started by honcho from the Procfile with "
                        f"ENVIRONMENT=production; ready after {rehearsal.ready_after_seconds:.2f} s.")
        asyncio.run(_bench(rehearsal, log_dir, rows, notes))
    finally:
        rehearsal.stop()
    elapsed = time.monotonic() - started
    rendered = table(rows)
    print("\n" + rendered + "\n", flush=True)
    path = write(rows, machine, notes, elapsed)
    print(f"written to {path} in {elapsed:.0f} s", flush=True)
    return 0 if all(row.holds is not False for row in rows) else 1
