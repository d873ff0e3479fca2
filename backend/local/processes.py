"""The child processes the local stand-ins start (the web process, HAProxy, Better Auth, PostgreSQL, PgBouncer): wait
until one answers over HTTP or TCP, stop one. One definition of each, so every stand-in waits and stops the same way."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx

POLL_SECONDS = 0.05


def wait_until_ok(url: str, process: subprocess.Popen[bytes], log_path: Path, timeout: float, *, name: str,
                  verify: ssl.SSLContext | bool = True) -> float:
    """Seconds until ``url`` answered 200 while ``process`` (``name`` in messages) runs. When it exits first or
    ``timeout`` passes: the process is stopped and RuntimeError carries its log."""
    started = time.monotonic()
    with httpx.Client(timeout=2, verify=verify) as client:
        while time.monotonic() - started < timeout and process.poll() is None:
            try:
                if client.get(url).status_code == 200:
                    return time.monotonic() - started
            except httpx.TransportError:
                pass
            time.sleep(POLL_SECONDS)
    exited = process.poll()
    stop_process(process)
    why = f"exited with {exited}" if exited is not None else f"did not answer 200 at {url} within {timeout}s"
    raise RuntimeError(f"{name} {why}:\n{_log(log_path)}")


def port_accepts(port: int) -> bool:
    """Whether 127.0.0.1:``port`` accepts a TCP connection now."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def wait_for_port(port: int, timeout: float, exited: Callable[[], bool] = lambda: False) -> bool:
    """Whether 127.0.0.1:``port`` accepts a TCP connection within ``timeout``; False at once when ``exited()``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not exited():
        if port_accepts(port):
            return True
        time.sleep(POLL_SECONDS)
    return False


def stop_process(process: subprocess.Popen[bytes] | None, timeout: float = 30) -> int | None:
    """SIGTERM, as Railway stops a service; SIGKILL (to its whole session when it leads one) after ``timeout``."""
    if process is None or process.poll() is not None:
        return None if process is None else process.returncode
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            leads_session = os.getpgid(process.pid) == process.pid
        except ProcessLookupError:
            leads_session = False
        os.killpg(process.pid, signal.SIGKILL) if leads_session else process.kill()
        return process.wait()


def _log(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else "(no log)"
