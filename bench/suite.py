"""Suite speed (SC-004: the verification suite finishes in under 60 s against the production URL).

Runs the acceptance suite's live-safe set (``BASE_URL`` set, so ``@local`` scenarios are not run) against the
deployment, once directly and once through :class:`bench.proxy.DelayProxy` (200 ms round trip). The suite runs
from a scratch directory that links every top-level entry of the repository except ``reports/``: behave.ini's
results folder (and its userdata ``reports``, where environment.py writes) is relative to where behave runs, so every
report lands in the scratch directory and the developer's ``reports/`` is left alone.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from backend.local.rehearsal import ROOT

SUITE_TIMEOUT_SECONDS = 240
SUMMARY = re.compile(r"^\d+ (features?|scenarios?|steps?) passed", re.MULTILINE)


@dataclass(frozen=True)
class SuiteRun:
    label: str
    wall_seconds: float | None
    exit_code: int | None
    summary: str
    not_run_reason: str | None = None
    output_dir: str | None = None


def suite_present() -> str | None:
    """None when the suite can run, else why not."""
    if not any((ROOT / "features").glob("**/*.feature")):
        return "the acceptance suite (features/*.feature) is not in the repository yet"
    if not any((ROOT / "steps").glob("*.py")) and not any((ROOT / "features" / "steps").glob("*.py")):
        return "the acceptance suite has no step definitions yet"
    return None


def scratch_checkout(prefix: str = "bench-suite-") -> Path:
    """A folder that runs the suite like the repository does, but keeps its reports/ to itself."""
    scratch = Path(tempfile.mkdtemp(prefix=prefix))
    for entry in ROOT.iterdir():
        if entry.name != "reports":
            (scratch / entry.name).symlink_to(entry)
    return scratch


async def run_suite(label: str, base_url: str, secret: str, allowed_origin: str) -> SuiteRun:
    reason = suite_present()
    if reason:
        return SuiteRun(label, None, None, "", reason)
    scratch = scratch_checkout()
    environment = {
        **os.environ,
        "BASE_URL": base_url,
        "BETTER_AUTH_SECRET": secret,
        "ALLOWED_ORIGIN": allowed_origin,
        "PYTHONPATH": str(ROOT),
    }
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "behave", cwd=scratch, env=environment, start_new_session=True,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=SUITE_TIMEOUT_SECONDS)
    except TimeoutError:
        os.killpg(process.pid, signal.SIGKILL)  # the suite we started, by its own process group
        await process.wait()
        return SuiteRun(label, None, None, "", f"did not finish within {SUITE_TIMEOUT_SECONDS} s")
    wall = time.monotonic() - started
    text = output.decode(errors="replace")
    (scratch / "behave-output.txt").write_text(text)
    summary = "; ".join(line.strip() for line in text.splitlines() if SUMMARY.match(line.strip()))
    return SuiteRun(label, wall, process.returncode, summary, output_dir=str(scratch))
