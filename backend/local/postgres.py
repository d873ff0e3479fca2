"""A real PostgreSQL on this machine, from the pgserver wheel's binaries: no system install, no Docker.

It stands in for Neon in development, tests, the local rehearsal and the benchmark (Neon itself cannot exist
here). pgserver ships the server binaries; this module drives them directly rather than through pgserver's
``get_server`` because tests must stop and restart the server under a running app (the dropout edge case) and
reach it over TCP like a real deployment does, which pgserver's socket-only, at-exit lifecycle does not offer.

As root, PostgreSQL (which refuses to run as root) runs as the ``pgserver`` system user. That user must reach the
binaries, the data and the socket, and a checkout in a private folder (0700, as under /root) is out of its reach:
then the binaries are hard-linked (or copied) into the server's own temporary folder. The user's folders are
never widened. Everything temporary is removed by ``close()``, which also runs at interpreter exit (failure,
Ctrl-C). Decision: history/adr/0012-embedded-postgres-for-local-runs.md.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import warnings
from pathlib import Path

from backend.local.processes import wait_for_port

with warnings.catch_warnings():
    # pgserver computes a runtime folder at import time and warns when XDG_RUNTIME_DIR is unset (CI, root shells);
    # this module does not use that folder.
    warnings.simplefilter("ignore")
    from pgserver._commands import POSTGRES_BIN_PATH
    from pgserver.utils import ensure_user_exists

SYSTEM_USER_WHEN_ROOT = "pgserver"  # PostgreSQL refuses to run as root; pgserver's convention.
DATABASE = "postgres"
USER = "postgres"
PGINSTALL = POSTGRES_BIN_PATH.parent  # bin/, lib/, share/: PostgreSQL finds lib/ and share/ next to bin/
TEMPORARY_PREFIX = "pgsock-"


class PostgresSetupError(RuntimeError):
    """The server cannot be set up here; the message is one line saying what to do."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    ensure_user_exists(SYSTEM_USER_WHEN_ROOT)
    return SYSTEM_USER_WHEN_ROOT


def give_to(path: Path, user: str | None, mode: int = 0o700) -> Path:
    """Hand a folder this process created to the user the server runs as (nothing to do unless root)."""
    path.chmod(mode)
    if user is not None:
        shutil.chown(path, user, user)
    return path


def reaches(user: str | None, path: Path, test: str = "-x") -> bool:
    """Whether ``user`` passes ``test -x`` (or ``-w``) on ``path``: asked as that user, so ACLs and groups count."""
    if user is None:
        return True
    return subprocess.run(["test", test, str(path)], user=user, check=False).returncode == 0


def _hard_link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)  # instant and free when on the same file system
    except OSError:
        shutil.copy2(source, target)


def copy_install(install: Path, target: Path) -> Path:
    """Hard-link (or copy) ``install`` under ``target`` with the wheel's bundled libraries beside it: the binaries
    find them through RPATH ``$ORIGIN/../../../pgserver.libs``, so the relative layout is kept. Returns the copy."""
    site = install.parents[1]
    for folder in (install, site / "pgserver.libs"):
        if folder.exists():
            shutil.copytree(folder, target / folder.relative_to(site), symlinks=True,
                            copy_function=_hard_link_or_copy)
    return target / install.relative_to(site)


def reachable_install(install: Path, user: str | None, scratch: Path) -> Path:
    """``install`` if ``user`` can run its binaries, else a root-owned hard-linked copy of it in ``scratch``."""
    if reaches(user, install / "bin" / "initdb"):
        return install
    copy = copy_install(install, scratch / "site")
    if not reaches(user, copy / "bin" / "initdb"):
        raise PostgresSetupError(f"the {user!r} user cannot run PostgreSQL from {install} nor from {copy}; "
                                 "run as a non-root user")
    return copy


class LocalPostgres:
    """One PostgreSQL cluster listening on 127.0.0.1:``port``. Stop and start it at will; ``close()`` when done.

    ``data_dir=None``: a throwaway cluster inside the server's temporary folder, removed by ``close()``.
    """

    def __init__(self, data_dir: Path | None = None, port: int | None = None, max_connections: int = 100,
                 install: Path = PGINSTALL) -> None:
        self.port = port or free_port()
        self.max_connections = max_connections
        self.user = _run_as()
        # This server's temporary folder (short: Unix socket paths are limited to ~107 bytes), reachable by the
        # server's user: the socket, the binaries when the checkout is private, the data when throwaway.
        self.scratch = give_to(Path(tempfile.mkdtemp(prefix=TEMPORARY_PREFIX)), None, 0o755)
        atexit.register(self.close)
        try:
            (self.scratch / "socket").mkdir()
            self.socket_dir = give_to(self.scratch / "socket", self.user)
            self.bin_path = reachable_install(install, self.user, self.scratch) / "bin"
        except BaseException:
            self.close()
            raise
        self.data_dir = (data_dir or self.scratch / "data").resolve()

    @property
    def url(self) -> str:
        """A password-less local URL (trust auth on loopback only); the app normalizes it to asyncpg."""
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{DATABASE}"

    def _pg(self, program: str, *args: str, timeout: float = 60,
            check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([str(self.bin_path / program), *args], capture_output=True, text=True,
                                timeout=timeout, user=self.user, check=False)
        if check and result.returncode != 0:
            raise RuntimeError(f"{program} exited with {result.returncode}: {result.stderr.strip()[-2000:]}")
        return result

    def initialize(self) -> None:
        if (self.data_dir / "PG_VERSION").exists():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        give_to(self.data_dir, self.user)
        if not reaches(self.user, self.data_dir, "-w"):
            raise PostgresSetupError(f"the {self.user!r} user (PostgreSQL refuses root) cannot reach "
                                     f"{self.data_dir}: run as a non-root user, or keep the checkout in a folder "
                                     "other users can traverse")
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
        if not wait_for_port(self.port, 15):
            raise RuntimeError(f"PostgreSQL did not accept connections on port {self.port}")
        return self

    def stop(self, mode: str = "fast") -> None:
        """``fast`` disconnects clients and shuts down, as a Neon compute suspending would."""
        if self.is_running():
            self._pg("pg_ctl", "-D", str(self.data_dir), "-w", "-t", "30", "-m", mode, "stop")

    def is_running(self) -> bool:
        if not (self.data_dir / "postmaster.pid").exists():
            return False
        return self._pg("pg_ctl", "-D", str(self.data_dir), "status", check=False).returncode == 0

    def psql(self, sql: str) -> str:
        result = self._pg("psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                          "-p", str(self.port), "-U", USER, "-d", DATABASE, "-c", sql)
        return result.stdout.strip()

    def close(self) -> None:
        """Stop the server and remove its temporary folder (a throwaway cluster with it). Idempotent."""
        atexit.unregister(self.close)
        if not self.scratch.exists():
            return
        try:
            if hasattr(self, "data_dir"):
                self.stop("immediate" if self.data_dir.is_relative_to(self.scratch) else "fast")
        finally:
            shutil.rmtree(self.scratch, ignore_errors=True)

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()
