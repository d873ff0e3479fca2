"""Turn measurements into table rows, each with its issue-5 target and whether it holds."""

from __future__ import annotations

from bench.coldstart import ColdStart
from bench.connections import ConnectionPeaks
from bench.dropout import DropoutResult
from bench.report import Row
from bench.suite import SuiteRun
from bench.throughput import SAMPLED_CONNECTIONS, Cell
from bench.wrk import LoadResult

TASKS_ENDPOINT = "GET /api/{user_id}/tasks"
MIN_RATIO = 0.6
COLD_START_LIMIT_SECONDS = 2.0
RECOVERY_LIMIT_SECONDS = 5.0
SUITE_LIMIT_SECONDS = 60.0


def _load(result: LoadResult) -> str:
    return (f"{result.requests_per_second:,.0f} req/s · p50 {result.p50_ms:.1f} ms · p99 {result.p99_ms:.1f} ms · "
            f"{result.errors} errors ({result.non_2xx} non-2xx, {result.socket_errors} socket)")


def throughput_rows(cells: list[Cell]) -> list[Row]:
    rows = []
    for cell in cells:
        targeted = cell.endpoint == TASKS_ENDPOINT and cell.connections == SAMPLED_CONNECTIONS
        holds = (cell.ratio >= MIN_RATIO and cell.app.errors == 0) if targeted else None
        rows.append(Row(
            measurement=f"{cell.endpoint}, {cell.connections} conn, {cell.database_path}",
            figure=_load(cell.app), baseline=_load(cell.baseline), ratio=f"{cell.ratio:.2f}×",
            target=f"≥ {MIN_RATIO}× baseline, 0 errors" if targeted else "—", holds=holds,
        ))
    return rows


def connection_rows(label: str, peaks: ConnectionPeaks, app_limit: int, pgbouncer_pool: int | None) -> list[Row]:
    samples = f"{peaks.samples} samples"
    if peaks.pgbouncer_app_clients is None:
        return [Row(f"App connections to PostgreSQL during 64-conn runs, {label} (pg_stat_activity, "
                    f"application_name=tasks-api, {samples})", f"max {peaks.app_backends}",
                    f"pool_size+max_overflow = {app_limit}", target=f"≤ {app_limit}",
                    holds=peaks.app_backends <= app_limit)]
    return [
        Row(f"App connections to PgBouncer during 64-conn runs, {label} (SHOW CLIENTS, {samples})",
            f"max {peaks.pgbouncer_app_clients}", f"pool_size+max_overflow = {app_limit}", target=f"≤ {app_limit}",
            holds=peaks.pgbouncer_app_clients <= app_limit),
        Row(f"PgBouncer server connections to PostgreSQL, {label} (SHOW POOLS sv_*)",
            f"max {peaks.pgbouncer_servers}", f"default_pool_size = {pgbouncer_pool}", target=f"≤ {pgbouncer_pool}",
            holds=(peaks.pgbouncer_servers or 0) <= (pgbouncer_pool or 0)),
        Row(f"PostgreSQL backends seen by pg_stat_activity, {label} (all client backends but the sampler; "
            "tasks-api-labelled in brackets)", f"max {peaks.all_backends} ({peaks.app_backends})",
            f"default_pool_size = {pgbouncer_pool}", target=f"≤ {pgbouncer_pool}",
            holds=peaks.all_backends <= (pgbouncer_pool or 0)),
    ]


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
                f"{result.lost} of {len(result.acknowledged)}", target="0 lost", holds=result.lost == 0),
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
