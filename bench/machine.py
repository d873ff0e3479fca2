"""What the figures were measured on: a ratio travels between machines, a requests/s figure does not."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from pgserver._commands import POSTGRES_BIN_PATH

from backend.local.checkout import commit
from backend.local.pgbouncer import pgbouncer_binary


def _first_line(command: list[str]) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "not available"
    lines = (result.stdout or result.stderr).strip().splitlines()
    return lines[0] if lines else "not available"


def _proc_value(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.lower().startswith(key.lower()):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def _pgbouncer_version() -> str:
    try:
        return _first_line([pgbouncer_binary(), "--version"])
    except RuntimeError:
        return "not installed"


def describe_machine() -> dict[str, str]:
    memory_kib = _proc_value("/proc/meminfo", "MemTotal")
    memory = f"{int(memory_kib.split()[0]) / 1024 / 1024:.1f} GiB" if memory_kib else "unknown"
    try:
        os_name = platform.freedesktop_os_release().get("PRETTY_NAME", platform.platform())
    except OSError:
        os_name = platform.platform()
    return {
        "Date (UTC)": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "CPU": _proc_value("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "Cores": str(os.cpu_count()),
        "Memory": memory,
        "OS": os_name,
        "Python": platform.python_version(),
        "PostgreSQL": _first_line([str(POSTGRES_BIN_PATH / "postgres"), "--version"]),
        "PgBouncer": _pgbouncer_version(),
        "wrk": _first_line(["wrk", "--version"]).split(" Copyright")[0],
        "Commit": commit(12) or "not available",
    }
