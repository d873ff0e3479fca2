"""A real PgBouncer in transaction mode in front of a LocalPostgres: what Neon's ``-pooler`` endpoint is.

Uses Debian's ``pgbouncer`` binary, or the one ``PGBOUNCER`` names. ``make test`` installs it first when this user
may (``python -m backend.local.pgbouncer install``: root, or sudo without a password); where it is missing, the
tests that need it are skipped with ``MISSING`` as the reason and the rehearsal connects directly. The app must work
through it without asyncpg's "prepared statement … does not exist" errors.
Decision: history/adr/0003-pgbouncer-transaction-mode.md.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from backend.local.debian import install_package
from backend.local.postgres import DATABASE, USER, LocalPostgres, free_port, give_to
from backend.local.processes import stop_process, wait_for_port

DEBIAN_PATH = "/usr/sbin/pgbouncer"  # not on a normal user's PATH
MISSING = ("PgBouncer is not installed: to run these, `sudo apt-get install pgbouncer` (make test does it itself "
           "as root or with password-less sudo) or set PGBOUNCER=/path/to/pgbouncer")


def find_pgbouncer() -> str | None:
    """``PGBOUNCER`` when set (an unusable value means "none": how to run without it), else PATH, else Debian's."""
    if "PGBOUNCER" in os.environ:
        named = os.environ["PGBOUNCER"]
        return named if named and os.access(named, os.X_OK) else None
    return shutil.which("pgbouncer") or (DEBIAN_PATH if os.access(DEBIAN_PATH, os.X_OK) else None)


def pgbouncer_available() -> bool:
    return find_pgbouncer() is not None


def pgbouncer_binary() -> str:
    found = find_pgbouncer()
    if found is None:
        raise RuntimeError(MISSING)
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
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> LocalPgBouncer:
        config = self._write_config()
        give_to(self.work_dir, self.postgres.user, 0o755)
        for child in self.work_dir.iterdir():
            give_to(child, self.postgres.user, 0o644)
        # stderr goes to a file, not a pipe: PgBouncer logs every login there, and an unread pipe fills up
        # (64 KiB) during a reconnect storm and freezes it mid-write (found by make bench's dropout run).
        stderr_path = self.work_dir / "pgbouncer.stderr"
        with stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(
                [pgbouncer_binary(), str(config)], user=self.postgres.user,
                stdout=subprocess.DEVNULL, stderr=stderr,
            )
        if not wait_for_port(self.port, 10, lambda: self.process.poll() is not None):
            if self.process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited: {stderr_path.read_text(errors='replace').strip()}")
            raise RuntimeError("pgbouncer did not start listening")
        return self

    def stop(self) -> None:
        stop_process(self.process, timeout=10)
        shutil.rmtree(self.work_dir, ignore_errors=True)

    def __enter__(self) -> LocalPgBouncer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def install() -> int:
    """``make test``'s first step: install Debian's pgbouncer when it is missing and this user may; never fails.

    ``PGBOUNCER`` set means the user chose the binary (or none): the system is left alone.
    """
    if "PGBOUNCER" not in os.environ and not pgbouncer_available():
        install_package("pgbouncer")
    print(f"PgBouncer: {find_pgbouncer()}" if pgbouncer_available() else f"{MISSING}; skipping its tests.",
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(install() if sys.argv[1:] == ["install"] else "usage: python -m backend.local.pgbouncer install")
