"""The processes under test, started once per run: the production rehearsal, a direct-PostgreSQL twin of the
app, and the baseline for each database path. Also the token and the seeded tasks every measurement uses.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

from backend.local.checkout import procfile
from backend.local.postgres import free_port
from backend.local.processes import stop_process
from backend.local.rehearsal import ROOT, Rehearsal, wait_until_healthy
from backend.local.tokens import mint_token
from bench.cpu import server_pids

USER_ID = "bench-user"
SEEDED_TASKS = 20
TOKEN_LIFETIME_SECONDS = 3600


@dataclass
class Server:
    """One HTTP server under test: what it is, where it listens, and the process we started for it."""

    label: str
    base_url: str
    process: subprocess.Popen[bytes] | None

    def stop(self) -> None:
        stop_process(self.process)

    def pids(self) -> list[int]:
        """The server's own processes (uvicorn and its workers), for CPU time and memory."""
        return server_pids(self.process.pid) if self.process is not None else []


def bench_token(secret: str, user_id: str = USER_ID) -> str:
    """An HS256 token like the Better Auth frontend issues, signed with this run's generated secret."""
    return mint_token(secret, user_id, expires_in=TOKEN_LIFETIME_SECONDS)


def direct_environment(rehearsal: Rehearsal) -> dict[str, str]:
    """The rehearsal's production variables, pointed at PostgreSQL itself (Neon's direct endpoint)."""
    return {**rehearsal.environment(), "DATABASE_URL": rehearsal.postgres.url, "DATABASE_PGBOUNCER": "false"}


def procfile_web_line() -> str:
    """The checkout's (``ROOT``, which ``bench.ab`` points at the other checkout) ``web`` command, read by honcho."""
    web = procfile(ROOT / "Procfile").get("web")
    if web is None:
        raise RuntimeError("Procfile has no web: line")
    return web


def start_app(label: str, environment: dict[str, str], log_dir: Path) -> Server:
    """The Procfile ``web`` line run by ``sh -c`` with its output to a file, as Railway runs its start command.

    Not through honcho, as the rehearsal is: honcho re-prints every access-log line in Python, and on a 2-core
    machine that process takes CPU from the server being measured (the baseline's log goes to a file too).
    """
    port = free_port()
    log_path = log_dir / f"{label.replace(' ', '-').replace(',', '')}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(["sh", "-c", procfile_web_line()], cwd=ROOT, env={**environment, "PORT": str(port)},
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return _healthy_server(label, port, process, log_path)


def start_baseline(label: str, environment: dict[str, str], log_dir: Path) -> Server:
    """:mod:`bench.baseline_app` on the same uvicorn (uvloop + httptools, access log on) as the app."""
    port = free_port()
    log_path = log_dir / f"{label.replace(' ', '-')}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.baseline_app:app", "--host", "127.0.0.1", "--port", str(port),
         "--no-server-header", "--lifespan", "on"],
        cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    return _healthy_server(label, port, process, log_path)


def _healthy_server(label: str, port: int, process: subprocess.Popen[bytes], log_path: Path) -> Server:
    """Wait for /health 200 like Railway does; a process that never gets there is stopped, not leaked."""
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base_url, process, log_path)
    except BaseException:
        stop_process(process)
        raise
    return Server(label, base_url, process)


def seed_tasks(base_url: str, token: str, count: int = SEEDED_TASKS, user_id: str = USER_ID) -> list[int]:
    """Create ``count`` tasks through the API (so they are exactly what the app would store); their ids."""
    headers = {"Authorization": f"Bearer {token}"}
    ids = []
    with httpx.Client(base_url=base_url, headers=headers, timeout=10) as client:
        for number in range(count):
            response = client.post(f"/api/{user_id}/tasks",
                                   json={"title": f"bench task {number}", "description": "seeded by make bench"})
            response.raise_for_status()
            ids.append(int(response.json()["id"]))
    return ids
