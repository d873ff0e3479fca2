"""Deploy production on this machine the way Railway would, so the acceptance suite can run against it.

Railway: builds from requirements.txt, runs the pre-deploy command (``alembic upgrade head``), starts the
Procfile's ``web`` process with ``PORT`` set, and routes traffic once ``/health`` answers 200. Here: the same
Procfile line run by honcho, ``ENVIRONMENT=production``, a random ``PORT``, secrets generated for this run, and
a real PostgreSQL (behind a real PgBouncer in transaction mode when it is installed, as Neon's pooler is), and
Railway's TLS edge played by HAProxy when it is installed (``tls_edge.py``; ``public_url`` is then https://).
What cannot exist here and is therefore not rehearsed: Railway's own edge network and a real Neon.
Decision: history/adr/0013-behave-live-and-local-rehearsal.md.
"""

from __future__ import annotations

import atexit
import secrets
import shutil
import ssl
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from backend.local.checkout import ROOT, clean_environment, commit
from backend.local.pgbouncer import LocalPgBouncer, pgbouncer_available
from backend.local.postgres import LocalPostgres, free_port
from backend.local.processes import stop_process, wait_until_ok
from backend.local.tls_edge import EDGE_OFF, HAPROXY_MISSING, TlsEdge, find_haproxy

ALLOWED_ORIGIN = "https://tasks-frontend.vercel.app"
STARTUP_TIMEOUT_SECONDS = 30


def run_migrations(environment: dict[str, str]) -> None:
    """Railway's pre-deploy step, run the same way: a separate process before the web process starts."""
    subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, env=environment,
                   check=True, capture_output=True, text=True)


@dataclass
class Rehearsal:
    """A production deployment on loopback. Start it, point the suite at ``base_url``, stop it.

    Whatever it started and every temporary folder it made are gone after ``stop()``, which also runs at
    interpreter exit (a failing hook, Ctrl-C): the web process runs in its own session, out of reach of Ctrl-C.
    """

    allowed_origin: str = ALLOWED_ORIGIN
    use_pgbouncer: bool = field(default_factory=pgbouncer_available)
    log_path: Path | None = None
    extra_environment: dict[str, str] = field(default_factory=dict)
    procfile: Path = ROOT / "Procfile"  # the mutation stage (tests/mutation) passes a copy naming a faulty factory
    use_tls_edge: bool = field(default_factory=lambda: find_haproxy() is not None)  # Railway's edge (tls_edge.py)

    def __post_init__(self) -> None:
        self.work_dir = Path(tempfile.mkdtemp(prefix="rehearsal-"))  # the app's log unless log_path is given
        self.pgbouncer: LocalPgBouncer | None = None
        self.edge: TlsEdge | None = None
        self.process: subprocess.Popen[bytes] | None = None
        atexit.register(self.stop)
        try:
            self.postgres = LocalPostgres()  # a throwaway cluster
        except BaseException:
            self.stop()
            raise
        self.port = free_port()
        self.secret = secrets.token_urlsafe(48)  # generated per run; never written to the repository
        self.log_path = self.log_path or self.work_dir / "app.log"
        self.ready_after_seconds: float | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def public_url(self) -> str:
        """Where clients go: the TLS edge's https:// URL, or the app itself when there is no edge."""
        return self.edge.base_url if self.edge else self.base_url

    @property
    def edge_description(self) -> str:
        if self.edge:
            return self.edge.description
        return HAPROXY_MISSING if find_haproxy() is None else EDGE_OFF

    @property
    def tls_verify(self) -> ssl.SSLContext | bool:
        """What a client of ``public_url`` verifies TLS with: this run's throwaway CA (only it) behind the edge."""
        return self.edge.ssl_context() if self.edge else True

    @property
    def database_path(self) -> str:
        return "PgBouncer (transaction mode) in front of PostgreSQL" if self.pgbouncer else "PostgreSQL, direct"

    def environment(self) -> dict[str, str]:
        """The service variables a Railway dashboard would hold, for this run only."""
        database_url = self.pgbouncer.url if self.pgbouncer else self.postgres.url
        variables = {
            "ENVIRONMENT": "production",
            "DATABASE_URL": database_url,
            "DATABASE_DIRECT_URL": self.postgres.url,
            "DATABASE_PGBOUNCER": "true" if self.pgbouncer else "false",
            "BETTER_AUTH_SECRET": self.secret,
            "CORS_ORIGINS": self.allowed_origin,
            # Railway's edge is 100.64.0.0/10 (the Procfile's default); here the edge and the clients are on loopback.
            "FORWARDED_ALLOW_IPS": "127.0.0.1",
            "RAILWAY_GIT_COMMIT_SHA": commit(12) or "unknown",
            **self.extra_environment,
        }
        return clean_environment(**variables)

    def start(self) -> Rehearsal:
        try:
            self.postgres.start()
            if self.use_pgbouncer:
                self.pgbouncer = LocalPgBouncer(self.postgres).start()
            environment = self.environment()
            run_migrations(environment)
            self.process = start_procfile_web(self.port, environment, self.log_path, self.procfile)
            self.ready_after_seconds = wait_until_healthy(self.base_url, self.process, self.log_path)
            if self.use_tls_edge:
                self.edge = TlsEdge(self.port, self.work_dir, str(find_haproxy())).start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop_database(self) -> None:
        self.postgres.stop("fast")

    def start_database(self) -> None:
        self.postgres.start()

    def stop(self) -> int | None:
        """SIGTERM, as Railway sends on redeploy; returns the web process's exit code. Idempotent."""
        atexit.unregister(self.stop)
        try:
            code = stop_process(self.process)
        finally:
            if self.edge:
                self.edge.stop()
            if self.pgbouncer:
                self.pgbouncer.stop()
            if hasattr(self, "postgres"):
                self.postgres.close()
            shutil.rmtree(self.work_dir, ignore_errors=True)
        return code

    def __enter__(self) -> Rehearsal:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_procfile_web(port: int, environment: dict[str, str], log_path: Path,
                       procfile: Path = ROOT / "Procfile") -> subprocess.Popen[bytes]:
    """Run the Procfile's ``web`` line with honcho, exactly as written, on ``port``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "honcho", "-f", str(procfile), "-d", str(ROOT), "start", "-p", str(port),
         "web"],
        cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )


def wait_until_healthy(base_url: str, process: subprocess.Popen[bytes], log_path: Path,
                       timeout: float = STARTUP_TIMEOUT_SECONDS, verify: ssl.SSLContext | bool = True) -> float:
    """Seconds until ``/health`` answered 200, as Railway's healthcheck waits before routing traffic."""
    return wait_until_ok(f"{base_url}/health", process, log_path, timeout, name="the web process", verify=verify)

