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
from bench.mixed import measure_mixed
from bench.proxy import DelayProxy
from bench.report import Row, table, write
from bench.services import Server, bench_token, direct_environment, seed_tasks, start_app, start_baseline
from bench.suite import run_suite
from bench.throughput import ENDPOINTS, SAMPLED_CONNECTIONS, Sampler, measure_path, sampled_peaks
from bench.workers import measure_workers, resident_memory
from bench.wrk import ensure_wrk

SECONDS_PER_RUN = 5
LEVELS = (1, 16, 64)
ROUNDS = 3  # interleaved rounds for every targeted figure; its ratio is the median round's
COLD_STARTS = 5
DROPOUT_DOWN_SECONDS = 3.0
PROXY_DELAY_SECONDS = 0.1


def _limit(environment: dict[str, str]) -> int:
    """The replica's connection budget, DATABASE_MAX_CONNECTIONS (environment first, then Settings' default)."""
    return int(environment.get("DATABASE_MAX_CONNECTIONS", Settings.model_fields["database_max_connections"].default))


def _rounds(endpoint: str, connections: int) -> int:
    return ROUNDS if endpoint == figures.TASKS_ENDPOINT and connections == SAMPLED_CONNECTIONS else 1


def _merge(peaks: list[ConnectionPeaks]) -> ConnectionPeaks:
    merged = ConnectionPeaks(samples=sum(p.samples for p in peaks),
                             socket_samples=sum(p.socket_samples for p in peaks))
    merged.app_backends = max((p.app_backends for p in peaks), default=0)
    merged.all_backends = max((p.all_backends for p in peaks), default=0)
    if any(p.pgbouncer_servers is not None for p in peaks):
        merged.pgbouncer_servers = max(p.pgbouncer_servers or 0 for p in peaks)
    if any(p.app_sockets is not None for p in peaks):
        merged.app_sockets = max(p.app_sockets or 0 for p in peaks)
    merged.errors = [error for p in peaks for error in p.errors]
    return merged


def _sampler(postgres_url: str, pgbouncer_port: int | None, database_port: int) -> Sampler:
    """Counts the measured server's own sockets to ``database_port``, whichever server is being measured."""
    return lambda server, stop: sample_connections(postgres_url, pgbouncer_port, stop, (server.pids(), database_port))


async def _bench(rehearsal: Rehearsal, log_dir: Path, rows: list[Row], notes: list[str]) -> None:
    postgres = rehearsal.postgres
    pgbouncer = rehearsal.pgbouncer
    production = rehearsal.environment()
    direct = direct_environment(rehearsal)
    limit = _limit(production)
    token = bench_token(rehearsal.secret)
    seed_tasks(rehearsal.base_url, token)
    wrk = ensure_wrk()
    pooled_label = "PgBouncer" if pgbouncer else "direct"

    # 1+2. Throughput and connection budget. The direct path runs first and its processes stop before the
    # PgBouncer path starts, so pg_stat_activity never mixes two apps' connections. The apps measured here run the
    # Procfile line without honcho (bench.services.start_app), as Railway does.
    if wrk is None:
        rows.append(Row("Throughput and connection budget", "not measured: wrk is not installed"))
    else:
        cells = []
        direct_peaks: list[ConnectionPeaks] = []
        if pgbouncer:
            await pgbouncer_admin(pgbouncer.port, "RECONNECT")  # drop its idle server connections first
            servers = [start_app("app-direct", direct, log_dir), start_baseline("baseline-direct", direct, log_dir)]
            try:
                found = await measure_path(wrk, "direct", servers[0], servers[1], (64,), tuple(ENDPOINTS),
                                           SECONDS_PER_RUN, token, _sampler(postgres.url, None, postgres.port), _rounds)
                direct_peaks = sampled_peaks(found, "app")
                cells += found
            finally:
                for server in servers:
                    server.stop()
        port = pgbouncer.port if pgbouncer else None
        app = start_app(f"app (Procfile, {pooled_label})", production, log_dir)
        baseline = start_baseline(f"baseline-{pooled_label}", production, log_dir)
        try:
            sampler = _sampler(postgres.url, port, port or postgres.port)
            found = await measure_path(wrk, pooled_label, app, baseline, LEVELS, tuple(ENDPOINTS), SECONDS_PER_RUN,
                                       token, sampler, _rounds)
            pooled_peaks, baseline_peaks = sampled_peaks(found, "app"), sampled_peaks(found, "baseline")
            cells = found + cells
            print("mixed workload …", flush=True)
            mixed = await measure_mixed(wrk, app, baseline, rehearsal.secret, postgres.url, SECONDS_PER_RUN,
                                        ROUNDS)
            baseline.stop()
            print("1 against 2 workers …", flush=True)
            two = start_app(f"app 2 workers ({pooled_label})", {**production, "WEB_CONCURRENCY": "2"}, log_dir)
            try:
                workers = await measure_workers(wrk, app, two, token, SECONDS_PER_RUN, ROUNDS, sampler)
                memory = resident_memory(app), resident_memory(two)
            finally:
                two.stop()
        finally:
            baseline.stop()
            app.stop()
        rows += figures.throughput_rows(cells)
        rows += figures.mixed_rows(mixed)
        rows += figures.connection_rows(pooled_label, _merge(pooled_peaks), limit,
                                        pgbouncer.pool_size if pgbouncer else None)
        if direct_peaks:
            rows += figures.connection_rows("direct", _merge(direct_peaks), limit, None)
        rows.append(figures.baseline_connection_row(pooled_label, _merge(baseline_peaks), limit))
        rows += figures.workers_rows(workers, limit, *memory)
        for peaks in (*pooled_peaks, *baseline_peaks, *direct_peaks, *workers.peaks):
            notes += [f"connection sampler: {error}" for error in peaks.errors[:3]]

    # 3. Cold start, against the already migrated database.
    print("cold start …", flush=True)
    rows.append(figures.cold_start_row(measure_cold_starts(production, log_dir, COLD_STARTS)))

    # 4. Dropout under load, on both database paths at once (the same PostgreSQL goes away under both).
    print("dropout …", flush=True)
    targets = [Server("app (Procfile, PgBouncer)", rehearsal.base_url, None)]  # the rehearsal owns this process
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
        "on) doing the same statements through a raw asyncpg pool of as many connections as the app's worker may "
        "open, over the same database path. It does not verify the JWT, validate or use an ORM: it is the stack's "
        "ceiling.",
        "CPU/req: user+system CPU time of the server's own processes (uvicorn and its workers) during the run, "
        "divided by the requests served; it barely moves with the machine's other load, unlike requests/s.",
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
