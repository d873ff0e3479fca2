"""Local mode only (@local): what a live URL cannot show — which sockets the process holds, what it does when
its port is taken or its secret is missing, how it stops on SIGTERM, and what happens when the database drops.

Everything runs the Procfile's ``web`` line through honcho, as Railway does (backend.local.rehearsal).
Linux-specific: listening sockets are read from /proc (backend.local.procfs).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from backend.local.postgres import free_port
from backend.local.processes import stop_process
from backend.local.procfs import command_line, descendants
from backend.local.rehearsal import Rehearsal, start_procfile_web, wait_until_healthy
from steps.support.http import Api


@dataclass(frozen=True)
class ProcessOutcome:
    """How a web process that was expected to stop by itself ended."""

    exit_code: int | None
    seconds: float
    log: str

    @property
    def exited(self) -> bool:
        return self.exit_code is not None


def web_process_pid(rehearsal: Rehearsal) -> int:
    """The uvicorn process honcho started from the Procfile (``exec`` makes it the shell's own pid)."""
    assert rehearsal.process is not None, "the rehearsal is not running"
    workers = [pid for pid in descendants(rehearsal.process.pid) if "uvicorn" in command_line(pid)]
    assert len(workers) == 1, f"expected exactly one uvicorn process under honcho, found {workers}"
    return workers[0]


def run_web_until_exit(rehearsal: Rehearsal, port: int, log_path: Path, *, without: tuple[str, ...] = (),
                       timeout: float = 20) -> ProcessOutcome:
    """Start the Procfile web line with the rehearsal's environment (minus ``without``) and wait for it to end."""
    environment = {key: value for key, value in rehearsal.environment().items() if key not in without}
    started = time.monotonic()
    process = start_procfile_web(port, environment, log_path)
    try:
        return _outcome(process, started, timeout, log_path)
    finally:
        stop_process(process)


def sigterm_a_second_instance(rehearsal: Rehearsal, log_path: Path, timeout: float = 25) -> ProcessOutcome:
    """Start another instance on a fresh PORT, wait until it is healthy, send SIGTERM as Railway does on redeploy."""
    port = free_port()
    process = start_procfile_web(port, rehearsal.environment(), log_path)
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", process, log_path)
        with httpx.Client(timeout=5) as client:  # one served request, so shutdown has a connection to close
            client.get(f"http://127.0.0.1:{port}/health")
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        return _outcome(process, started, timeout, log_path)
    finally:
        stop_process(process)


def _outcome(process: subprocess.Popen[bytes], started: float, timeout: float, log_path: Path) -> ProcessOutcome:
    try:
        code: int | None = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        code = None
    return ProcessOutcome(code, time.monotonic() - started, log_path.read_text(errors="replace"))


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("0.0.0.0", port))  # noqa: S104 - the same address the Procfile binds
        except OSError:
            return False
    return True


def health_during_outage(rehearsal: Rehearsal, api: Api) -> httpx.Response:
    """/health while the rehearsal's database is stopped; the database is started again before this returns."""
    rehearsal.stop_database()
    try:
        return api.get("/health")
    finally:
        rehearsal.start_database()
