"""Count the app's database connections while it is under load: the Neon connection budget (ADR 0002).

What the budget means — connections the server under test holds open to its database endpoint — is read from
the server's own processes: its ESTABLISHED TCP sockets to the database port (PgBouncer's, or PostgreSQL's on
the direct path), from ``/proc/<pid>/fd`` and ``/proc/net/tcp`` in one pass, so one sample is one instant and
nothing else connected to the same endpoint is counted. Matching names (``application_name``) would count every
process called ``tasks-api``: the production rehearsal's own app keeps a connection to the same PgBouncer, which
is what made an earlier version of this row report 11 against a budget of 10 (ADR 0018).

Around it, every ``interval`` seconds:
- PostgreSQL's ``pg_stat_activity`` (via a direct asyncpg connection that names itself ``bench-sampler``):
  backends whose ``application_name`` is the app's, and all client backends but the sampler's own;
- PgBouncer's admin console (``SHOW POOLS``, through psql because the console only speaks the simple query
  protocol): the server connections PgBouncer holds for the app's database.
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
from backend.local.procfs import TCP_ESTABLISHED, socket_inodes, sockets_with_inodes

SAMPLER_NAME = "bench-sampler"
ACTIVITY_SQL = """
SELECT count(*) FILTER (WHERE application_name = $1)::int,
       count(*) FILTER (WHERE backend_type = 'client backend' AND pid <> pg_backend_pid())::int
FROM pg_stat_activity
"""
SERVER_STATES = ("sv_active", "sv_idle", "sv_used", "sv_tested", "sv_login")
# The server's sockets are counted more often than the database is asked, but each count reads /proc/net/tcp and
# tcp6, which the kernel writes by walking its whole connection hash (~4 ms each here): 5 counts per interval took
# ~30 % of a core from the machine under test, 2 take ~17 % (and no round that counts for a ratio is sampled).
SOCKET_SAMPLES_PER_INTERVAL = 2


@dataclass
class ConnectionPeaks:
    """Maxima over the samples; ``None`` when that side does not exist (no PgBouncer on the direct path)."""

    samples: int = 0
    app_backends: int = 0  # pg_stat_activity rows named tasks-api
    all_backends: int = 0  # every client backend except the sampler
    pgbouncer_servers: int | None = None  # SHOW POOLS sv_* for the app's database
    app_sockets: int | None = None  # the server under test's connections to the database port (/proc)
    socket_samples: int = 0
    errors: list[str] = field(default_factory=list)


async def sample_connections(postgres_url: str, pgbouncer_port: int | None, stop: asyncio.Event,
                             server: tuple[list[int], int] | None = None, interval: float = 0.1,
                             max_samples: int = 600) -> ConnectionPeaks:
    """Sample until ``stop`` is set (or ``max_samples`` taken); return the peaks. ``server``: the processes of the
    server under test and the port it connects to (PgBouncer's or PostgreSQL's), whose sockets are counted."""
    peaks = ConnectionPeaks(pgbouncer_servers=0 if pgbouncer_port else None, app_sockets=0 if server else None)
    connection = await asyncpg.connect(postgres_url, server_settings={"application_name": SAMPLER_NAME})
    try:
        while not stop.is_set() and peaks.samples < max_samples:
            app, backends = await connection.fetchrow(ACTIVITY_SQL, APPLICATION_NAME)
            peaks.app_backends = max(peaks.app_backends, app)
            peaks.all_backends = max(peaks.all_backends, backends)
            if pgbouncer_port is not None:
                try:
                    servers = await pgbouncer_servers(pgbouncer_port)
                except RuntimeError as error:
                    peaks.errors.append(str(error))
                else:
                    peaks.pgbouncer_servers = max(peaks.pgbouncer_servers or 0, servers)
            peaks.samples += 1
            for _ in range(SOCKET_SAMPLES_PER_INTERVAL):
                if server is not None:
                    peaks.app_sockets = max(peaks.app_sockets or 0, database_sockets(*server))
                    peaks.socket_samples += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=interval / SOCKET_SAMPLES_PER_INTERVAL)
                if stop.is_set():
                    break
    finally:
        await connection.close()
    return peaks


def database_sockets(pids: list[int], port: int) -> int:
    """How many connections to ``port`` the processes ``pids`` hold open right now (ESTABLISHED TCP sockets)."""
    inodes: set[str] = set()
    for pid in pids:
        with contextlib.suppress(OSError):  # a worker that exited between two samples holds none
            inodes |= socket_inodes(pid)
    return sum(1 for sock in sockets_with_inodes(inodes) if sock.remote_port == port and sock.state == TCP_ESTABLISHED)


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


async def pgbouncer_servers(port: int) -> int:
    """Server connections PgBouncer holds for the app's database (SHOW POOLS, every sv_* state)."""
    (pools,) = _tables(await pgbouncer_admin(port, "SHOW POOLS"))
    return sum(int(row[state]) for row in pools if row.get("database") == DATABASE for state in SERVER_STATES)


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
