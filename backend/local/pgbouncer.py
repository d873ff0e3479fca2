"""A real PgBouncer in transaction mode in front of a LocalPostgres: what Neon's ``-pooler`` endpoint is.

Uses Debian's ``pgbouncer`` binary (installed by .ci/run). The app must work through it without asyncpg's
"prepared statement … does not exist" errors. Decision: history/adr/0003-pgbouncer-transaction-mode.md.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from backend.local.postgres import DATABASE, USER, LocalPostgres, _chown_for, free_port


def pgbouncer_binary() -> str:
    found = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None)
    if found is None:
        raise RuntimeError("pgbouncer is not installed: apt-get install pgbouncer (.ci/run does this)")
    return found


class LocalPgBouncer:
    """PgBouncer on 127.0.0.1:``port`` with ``pool_mode = transaction`` and a small server pool."""

    def __init__(self, postgres: LocalPostgres, port: int | None = None, pool_size: int = 10) -> None:
        self.postgres = postgres
        self.port = port or free_port()
        self.pool_size = pool_size
        self.work_dir = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{DATABASE}"

    def _write_config(self) -> Path:
        (self.work_dir / "userlist.txt").write_text(f'"{USER}" ""\n')
        config = self.work_dir / "pgbouncer.ini"
        config.write_text(
            "[databases]\n"
            f"{DATABASE} = host=127.0.0.1 port={self.postgres.port} dbname={DATABASE}\n"
            "[pgbouncer]\n"
            "listen_addr = 127.0.0.1\n"
            f"listen_port = {self.port}\n"
            f"unix_socket_dir = {self.work_dir}\n"
            "auth_type = trust\n"
            f"auth_file = {self.work_dir / 'userlist.txt'}\n"
            "pool_mode = transaction\n"
            f"default_pool_size = {self.pool_size}\n"
            "max_client_conn = 1000\n"
            "server_login_retry = 1\n"
            "ignore_startup_parameters = extra_float_digits,statement_timeout\n"
            "server_reset_query =\n"
            f"logfile = {self.work_dir / 'pgbouncer.log'}\n"
            "admin_users = postgres\n"
        )
        return config

    def start(self) -> LocalPgBouncer:
        config = self._write_config()
        _chown_for(self.work_dir, self.postgres.user)
        for child in self.work_dir.iterdir():
            _chown_for(child, self.postgres.user)
        # stderr goes to a file, not a pipe: PgBouncer logs every login there, and an unread pipe fills up
        # (64 KiB) during a reconnect storm and freezes it mid-write (found by make bench's dropout run).
        stderr_path = self.work_dir / "pgbouncer.stderr"
        with stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(
                [pgbouncer_binary(), str(config)], user=self.postgres.user,
                stdout=subprocess.DEVNULL, stderr=stderr,
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = stderr_path.read_text(errors="replace")
                raise RuntimeError(f"pgbouncer exited: {error.strip()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("pgbouncer did not start listening")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        shutil.rmtree(self.work_dir, ignore_errors=True)

    def __enter__(self) -> LocalPgBouncer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
