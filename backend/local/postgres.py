"""A real PostgreSQL on this machine, from the pgserver wheel's binaries: no system install, no Docker.

It stands in for Neon in development, tests, the local rehearsal and the benchmark (Neon itself cannot exist
here). pgserver ships the server binaries; this module drives them directly rather than through pgserver's
``get_server`` because tests must stop and restart the server under a running app (the dropout edge case) and
reach it over TCP like a real deployment does, which pgserver's socket-only, at-exit lifecycle does not offer.
Decision: history/adr/0012-embedded-postgres-for-local-runs.md.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

with warnings.catch_warnings():
    # pgserver computes a runtime folder at import time and warns when XDG_RUNTIME_DIR is unset (CI, root shells);
    # this module does not use that folder.
    warnings.simplefilter("ignore")
    from pgserver._commands import POSTGRES_BIN_PATH
    from pgserver.utils import ensure_prefix_permissions, ensure_user_exists

SYSTEM_USER_WHEN_ROOT = "pgserver"  # PostgreSQL refuses to run as root; pgserver's convention.
DATABASE = "postgres"
USER = "postgres"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    ensure_user_exists(SYSTEM_USER_WHEN_ROOT)
    return SYSTEM_USER_WHEN_ROOT


def _chown_for(path: Path, user: str | None) -> None:
    if user is None:
        return
    ensure_prefix_permissions(path)
    shutil.chown(path, user, user)


class LocalPostgres:
    """One PostgreSQL cluster in ``data_dir``, listening on 127.0.0.1:``port``. Stop and start it at will."""

    def __init__(self, data_dir: Path, port: int | None = None, max_connections: int = 100) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port or free_port()
        self.max_connections = max_connections
        self.user = _run_as()
        # Unix socket paths are limited to ~107 bytes: keep the socket in a short temporary folder.
        self.socket_dir = Path(tempfile.mkdtemp(prefix="pgsock-"))
        _chown_for(self.socket_dir, self.user)

    @property
    def url(self) -> str:
        """A password-less local URL (trust auth on loopback only); the app normalizes it to asyncpg."""
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{DATABASE}"

    def _pg(self, program: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(POSTGRES_BIN_PATH / program), *args],
            check=True, capture_output=True, text=True, timeout=timeout, user=self.user,
        )

    def initialize(self) -> None:
        if (self.data_dir / "PG_VERSION").exists():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        _chown_for(self.data_dir, self.user)
        self._pg("initdb", "-D", str(self.data_dir), "-U", USER, "--auth=trust", "--encoding=UTF8",
                 "--no-instructions")

    def start(self) -> LocalPostgres:
        self.initialize()
        if self.is_running():
            return self
        options = (f"-h 127.0.0.1 -p {self.port} -k {self.socket_dir} -c max_connections={self.max_connections}"
                   " -c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        self._pg("pg_ctl", "-D", str(self.data_dir), "-w", "-t", "30", "-o", options,
                 "-l", str(self.data_dir / "server.log"), "start")
        self._wait_for_tcp()
        return self

    def stop(self, mode: str = "fast") -> None:
        """``fast`` disconnects clients and shuts down, as a Neon compute suspending would."""
        if self.is_running():
            self._pg("pg_ctl", "-D", str(self.data_dir), "-w", "-t", "30", "-m", mode, "stop")

    def is_running(self) -> bool:
        if not (self.data_dir / "postmaster.pid").exists():
            return False
        result = subprocess.run([str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.data_dir), "status"],
                                capture_output=True, text=True, user=self.user)
        return result.returncode == 0

    def psql(self, sql: str) -> str:
        result = self._pg("psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                          "-p", str(self.port), "-U", USER, "-d", DATABASE, "-c", sql)
        return result.stdout.strip()

    def _wait_for_tcp(self, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"PostgreSQL did not accept connections on port {self.port}")

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.data_dir, ignore_errors=True)
        shutil.rmtree(self.socket_dir, ignore_errors=True)

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
