"""Count the app's database connections while it is under load: the Neon connection budget (ADR 0002).

Two sides are sampled every ``interval`` seconds:
- PostgreSQL's ``pg_stat_activity`` (via a direct asyncpg connection that names itself ``bench-sampler``):
  backends whose ``application_name`` is the app's, and all client backends but the sampler's own;
- PgBouncer's admin console (``SHOW CLIENTS`` / ``SHOW POOLS``, through psql because the console only speaks
  the simple query protocol): the app's client connections and the server connections PgBouncer holds.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from pgserver._commands import POSTGRES_BIN_PATH

from backend.database import APPLICATION_NAME
from backend.local.postgres import DATABASE, USER
from backend.local.procfs import TCP_ESTABLISHED, tcp_sockets

SAMPLER_NAME = "bench-sampler"
ACTIVITY_SQL = """
SELECT count(*) FILTER (WHERE application_name = $1)::int,
       count(*) FILTER (WHERE backend_type = 'client backend' AND pid <> pg_backend_pid())::int,
       count(*) FILTER (WHERE client_port = ANY($2::int[]))::int
FROM pg_stat_activity
"""
SERVER_STATES = ("sv_active", "sv_idle", "sv_used", "sv_tested", "sv_login")


@dataclass
class ConnectionPeaks:
    """Maxima over the samples; ``None`` when that side does not exist (no PgBouncer on the direct path)."""

    samples: int = 0
    app_backends: int = 0  # pg_stat_activity rows named tasks-api
    all_backends: int = 0  # every client backend except the sampler
    pgbouncer_app_clients: int | None = None  # SHOW CLIENTS rows named tasks-api
    pgbouncer_servers: int | None = None  # SHOW POOLS sv_* for the app's database
    app_sockets: int | None = None  # sessions the server under test holds (its /proc sockets, logged in)
    errors: list[str] = field(default_factory=list)


async def sample_connections(postgres_url: str, pgbouncer_port: int | None, stop: asyncio.Event,
                             server: tuple[list[int], int] | None = None, interval: float = 0.1,
                             max_samples: int = 600) -> ConnectionPeaks:
    """Sample until ``stop`` is set (or ``max_samples`` taken); return the peaks. ``server``: the processes of the
    server under test and the port it connects to, to count its own connections exactly (other apps named
    tasks-api, such as the rehearsal's, may be connected at the same time)."""
    peaks = ConnectionPeaks(pgbouncer_app_clients=0 if pgbouncer_port else None,
                            pgbouncer_servers=0 if pgbouncer_port else None, app_sockets=0 if server else None)
    connection = await asyncpg.connect(postgres_url, server_settings={"application_name": SAMPLER_NAME})
    try:
        while not stop.is_set() and peaks.samples < max_samples:
            ports = _local_ports(*server) if server is not None else set()
            app, backends, own_backends = await connection.fetchrow(ACTIVITY_SQL, APPLICATION_NAME, list(ports))
            peaks.app_backends = max(peaks.app_backends, app)
            peaks.all_backends = max(peaks.all_backends, backends)
            if server is not None and pgbouncer_port is None:
                peaks.app_sockets = max(peaks.app_sockets or 0, own_backends)
            if pgbouncer_port is not None:
                try:
                    clients, servers, own_clients = await pgbouncer_counts(pgbouncer_port, ports)
                except RuntimeError as error:
                    peaks.errors.append(str(error))
                else:
                    peaks.pgbouncer_app_clients = max(peaks.pgbouncer_app_clients or 0, clients)
                    peaks.pgbouncer_servers = max(peaks.pgbouncer_servers or 0, servers)
                    if server is not None:
                        peaks.app_sockets = max(peaks.app_sockets or 0, own_clients)
            peaks.samples += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
    finally:
        await connection.close()
    return peaks


def _local_ports(pids: list[int], port: int) -> set[int]:
    """Local ports of the server's connections to ``port``. Matched against the sessions PgBouncer or PostgreSQL
    list, so that asyncpg's momentary cancel-request connections (no session) are not counted as pool connections."""
    return {sock.port for pid in pids for sock in tcp_sockets(pid) if sock.remote_port == port
            and sock.state == TCP_ESTABLISHED}


async def pgbouncer_admin(port: int, *commands: str) -> str:
    """Run admin console commands (``SHOW POOLS``, ``RECONNECT`` …) and return psql's unaligned output."""
    arguments = [argument for command in commands for argument in ("-c", command)]
    process = await asyncio.create_subprocess_exec(
        str(POSTGRES_BIN_PATH / "psql"), "-X", "-A", "-F", "|", "-P", "pager=off", "-h", "127.0.0.1",
        "-p", str(port), "-U", USER, "-d", "pgbouncer", *arguments,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    output, error = await asyncio.wait_for(process.communicate(), timeout=5)
    if process.returncode != 0:
        raise RuntimeError(f"pgbouncer admin console: {error.decode().strip()}")
    return output.decode()


async def pgbouncer_counts(port: int, own_ports: set[int] | None = None) -> tuple[int, int, int]:
    """(app client connections, server connections of the app's pool, clients from ``own_ports``) from
    PgBouncer's admin console."""
    clients, pools = _tables(await pgbouncer_admin(port, "SHOW CLIENTS", "SHOW POOLS"))
    app_clients = sum(1 for row in clients if row.get("application_name") == APPLICATION_NAME)
    servers = sum(int(row[state]) for row in pools if row.get("database") == DATABASE for state in SERVER_STATES)
    # Distinct ports: PgBouncer may still list a closed client while a new one reuses its port.
    own = len({int(row["port"]) for row in clients if row.get("port", "").isdigit()} & (own_ports or set()))
    return app_clients, servers, own


def _tables(output: str) -> list[list[dict[str, str]]]:
    """psql's unaligned output of several commands: header line, rows, ``(N rows)``; one list per command."""
    tables: list[list[dict[str, str]]] = []
    header: list[str] | None = None
    for line in output.splitlines():
        if header is None:
            header = line.split("|")
            tables.append([])
        elif line.startswith("(") and line.endswith(")"):
            header = None
        else:
            tables[-1].append(dict(zip(header, line.split("|"), strict=False)))
    return tables


def refusals_in_logs(*logs: Path) -> int:
    """How many times PostgreSQL or PgBouncer refused a connection for lack of slots, per their logs."""
    needles = ("too many clients", "too many connections", "no more connections allowed")
    count = 0
    for log in logs:
        if log.exists():
            text = log.read_text(errors="replace").lower()
            count += sum(text.count(needle) for needle in needles)
    return count
