"""Turn measurements into table rows, each with its issue-5 target and whether it holds."""

from __future__ import annotations

from bench.coldstart import ColdStart
from bench.connections import ConnectionPeaks
from bench.dropout import DropoutResult
from bench.mixed import MixedResult
from bench.report import Row
from bench.suite import SuiteRun
from bench.throughput import SAMPLED_CONNECTIONS, Cell, Measured
from bench.workers import WorkersResult

TASKS_ENDPOINT = "GET /api/{user_id}/tasks"
MIN_RATIO = 0.6
MAX_P99_RATIO = 3.0
COLD_START_LIMIT_SECONDS = 2.0
RECOVERY_LIMIT_SECONDS = 5.0
SUITE_LIMIT_SECONDS = 60.0


def _load(measured: Measured) -> str:
    result = measured.load
    cpu = f"{measured.cpu_ms:.2f} ms" if measured.cpu_ms is not None else "n/a"
    return (f"{result.requests_per_second:,.0f} req/s · CPU {cpu}/req · p50 {result.p50_ms:.1f} ms · "
            f"p99 {result.p99_ms:.1f} ms · {result.errors} errors ({result.non_2xx} non-2xx, "
            f"{result.socket_errors} socket)")


def _ratios(cell_rounds: list[float]) -> str:
    return f" (rounds {', '.join(f'{ratio:.2f}' for ratio in cell_rounds)})" if len(cell_rounds) > 1 else ""


def throughput_rows(cells: list[Cell]) -> list[Row]:
    rows = []
    for cell in cells:
        targeted = cell.endpoint == TASKS_ENDPOINT and cell.connections == SAMPLED_CONNECTIONS
        holds = (cell.ratio >= MIN_RATIO and cell.errors == 0 and cell.p99_ratio <= MAX_P99_RATIO
                 if targeted and cell.database_path == "PgBouncer" else None)
        median = f"median of {len(cell.rounds)} interleaved rounds, " if len(cell.rounds) > 1 else ""
        rows.append(Row(
            measurement=f"{cell.endpoint}, {cell.connections} conn, {cell.database_path}"
                        + (f" ({median}p99 {cell.p99_ratio:.1f}× baseline's)" if targeted else ""),
            figure=_load(cell.app), baseline=_load(cell.baseline),
            ratio=f"{cell.ratio:.2f}×{_ratios([one.ratio for one in cell.rounds])}",
            target=(f"≥ {MIN_RATIO}× baseline, 0 errors, p99 ≤ {MAX_P99_RATIO:.0f}× baseline's"
                    if holds is not None else "—"),
            holds=holds,
        ))
    return rows


def mixed_rows(mixed: MixedResult) -> list[Row]:
    ratios = sorted(one.ratio for one in mixed.rounds)
    middle = sorted(mixed.rounds, key=lambda one: one.ratio)[len(mixed.rounds) // 2]
    errors = sum(one.app.load.errors for one in mixed.rounds)
    return [
        Row(f"Mixed 80 % list / 20 % create·update·toggle, 64 conn, PgBouncer (median of {len(ratios)} rounds)",
            _load(middle.app), _load(middle.baseline), f"{ratios[len(ratios) // 2]:.2f}×{_ratios(ratios)}",
            target="0 errors", holds=errors == 0),
        Row("Mixed workload: creates answered 201 missing from the table afterwards (app; baseline in brackets)",
            f"{mixed.lost} of {mixed.acknowledged} ({mixed.baseline_lost})", target="0 lost",
            holds=mixed.acknowledged > 0 and mixed.lost == 0),  # nothing written proves nothing
    ]


def workers_rows(result: WorkersResult, budget: int, rss_one: list[float], rss_two: list[float]) -> list[Row]:
    ratios = sorted(two.load.requests_per_second / one.load.requests_per_second
                    for one, two in result.pairs if one.load.requests)
    one, two = sorted(result.pairs, key=lambda pair: pair[1].load.requests_per_second)[len(result.pairs) // 2]
    peak = max((peaks.app_sockets or 0 for peaks in result.peaks), default=0)
    socket_samples = sum(peaks.socket_samples for peaks in result.peaks)
    sampled_errors = result.sampled.load.errors if result.sampled is not None else 0
    errors = sum(pair[1].load.errors for pair in result.pairs) + sampled_errors
    return [
        Row(f"GET /api/{{user_id}}/tasks, 64 conn, PgBouncer: WEB_CONCURRENCY=2 against 1, same budget "
            f"(median of {len(result.pairs)} interleaved rounds)", _load(two), _load(one),
            f"{ratios[len(ratios) // 2]:.2f}×{_ratios(ratios)}", target="0 errors", holds=errors == 0),
        Row(f"App connections with WEB_CONCURRENCY=2, all workers (their ESTABLISHED sockets to PgBouncer's port, "
            f"/proc, {socket_samples} samples)", f"max {peak}",
            f"DATABASE_MAX_CONNECTIONS = {budget}", target=f"≤ {budget}",
            holds=socket_samples > 0 and peak <= budget),  # no sample is no evidence, not a pass
        Row("Resident memory after the benchmark (RSS, MiB)",
            f"1 worker: {_mib(rss_one)} · 2 workers: {_mib(rss_two)}"),
    ]


def _mib(values: list[float]) -> str:
    if len(values) <= 1:
        return ", ".join(f"{value:.0f}" for value in values) or "n/a"
    return f"supervisor {values[0]:.0f}, workers {', '.join(f'{value:.0f}' for value in values[1:])}"


def connection_rows(label: str, peaks: ConnectionPeaks, app_limit: int, pgbouncer_pool: int | None) -> list[Row]:
    """The budget row counts the server's own sockets to the database port (bench.connections): a sampler that
    cannot count them fails the row rather than falling back to a figure that means something else."""
    target = "PgBouncer" if peaks.pgbouncer_servers is not None else "PostgreSQL"
    own = peaks.app_sockets
    rows = [Row(f"App connections to {target} during the sampled 64-conn runs, {label} (the server's ESTABLISHED "
                f"sockets to {target}'s port, /proc, {peaks.socket_samples} samples)",
                f"max {own if own is not None else 'n/a'}",
                f"DATABASE_MAX_CONNECTIONS = {app_limit}", target=f"≤ {app_limit}",
                holds=own is not None and peaks.socket_samples > 0 and own <= app_limit)]
    if peaks.pgbouncer_servers is None:
        return rows
    return [
        *rows,
        Row(f"PgBouncer server connections to PostgreSQL, {label} (SHOW POOLS sv_*; {peaks.samples} samples)",
            f"max {peaks.pgbouncer_servers}", f"default_pool_size = {pgbouncer_pool}", target=f"≤ {pgbouncer_pool}",
            holds=peaks.samples > 0 and (peaks.pgbouncer_servers or 0) <= (pgbouncer_pool or 0)),
        Row(f"PostgreSQL backends seen by pg_stat_activity, {label} (all client backends but the sampler; "
            "tasks-api-labelled in brackets)", f"max {peaks.all_backends} ({peaks.app_backends})",
            f"default_pool_size = {pgbouncer_pool}", target=f"≤ {pgbouncer_pool}",
            holds=peaks.samples > 0 and peaks.all_backends <= (pgbouncer_pool or 0)),
    ]


def baseline_connection_row(label: str, peaks: ConnectionPeaks, app_limit: int) -> Row:
    """The baseline's own connections, sampled as the app's are (in an extra run, outside the ratio's rounds): it
    holds the same budget, so the ratio compares like with like."""
    own = peaks.app_sockets
    return Row(f"Baseline connections during its sampled 64-conn runs, {label} (its ESTABLISHED sockets, /proc, "
               f"{peaks.socket_samples} samples)", f"max {own if own is not None else 'n/a'}",
               f"DATABASE_MAX_CONNECTIONS = {app_limit}")


def refusal_row(refusals: int) -> Row:
    return Row("'too many clients/connections' in PostgreSQL, PgBouncer and app logs", str(refusals),
               target="0", holds=refusals == 0)


def cold_start_row(cold: ColdStart) -> Row:
    runs = ", ".join(f"{value:.2f}" for value in cold.seconds)
    return Row(f"Cold start: Procfile start → first /health 200 (median of {len(cold.seconds)}: {runs} s)",
               f"{cold.median:.2f} s", target=f"< {COLD_START_LIMIT_SECONDS:.0f} s",
               holds=cold.median < COLD_START_LIMIT_SECONDS)


def dropout_rows(results: list[DropoutResult], down_seconds: float) -> list[Row]:
    rows = []
    for result in results:
        recovered = result.recovery_seconds
        rows += [
            Row(f"Dropout, {result.label}: responses before / during ({down_seconds:.0f} s down) / after",
                f"before: {result.summary('before')} · during: {result.summary('during')} · "
                f"after: {result.summary('after')}", target="0 × 500", holds=result.total("500") == 0),
            Row(f"Dropout, {result.label}: acknowledged (201) tasks missing from the table afterwards",
                f"{result.lost} of {len(result.acknowledged)}", target="0 lost",
                holds=bool(result.acknowledged) and result.lost == 0),
            Row(f"Dropout, {result.label}: acknowledged tasks not readable through the API afterwards "
                f"(15 s budget)", f"{result.unreadable} not 200, {result.unchecked} not reached in time; "
                f"{result.hung_workers} load workers still waiting at the end", target="0",
                holds=result.unreadable == 0 and result.unchecked == 0 and result.hung_workers == 0),
            Row(f"Dropout, {result.label}: PostgreSQL accepting again → first /health 200",
                "not within 30 s" if recovered is None else f"{recovered:.2f} s",
                target=f"≤ {RECOVERY_LIMIT_SECONDS:.0f} s",
                holds=recovered is not None and recovered <= RECOVERY_LIMIT_SECONDS),
        ]
    return rows


def suite_rows(direct: SuiteRun, delayed: SuiteRun) -> list[Row]:
    rows = []
    for run, targeted in ((direct, False), (delayed, True)):
        if run.wall_seconds is None:
            rows.append(Row(f"Acceptance suite live-safe set, {run.label}", f"not measured: {run.not_run_reason}",
                            target=f"< {SUITE_LIMIT_SECONDS:.0f} s" if targeted else "—"))
            continue
        outcome = "passed" if run.exit_code == 0 else f"exit {run.exit_code}"
        rows.append(Row(f"Acceptance suite live-safe set, {run.label}",
                        f"{run.wall_seconds:.1f} s ({outcome}; {run.summary or 'no summary'})",
                        ratio=(f"{run.wall_seconds / direct.wall_seconds:.1f}× direct"
                               if targeted and direct.wall_seconds else "—"),
                        target=f"< {SUITE_LIMIT_SECONDS:.0f} s" if targeted else "—",
                        holds=run.wall_seconds < SUITE_LIMIT_SECONDS if targeted else None))
    return rows
