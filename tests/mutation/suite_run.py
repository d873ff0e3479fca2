"""One run of the acceptance suite in live mode against a URL, from a scratch folder (``bench.suite``'s), and
what it found: the scenarios that failed, each with its first failing step and the first line of its message."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from audit.results import load_results
from backend.local.rehearsal import ROOT
from bench.suite import scratch_checkout
from tests.mutation.app import FAULT_VARIABLE

SUITE_TIMEOUT_SECONDS = 180
# Scenarios that read the checkout, never the deployment: the same answer under every fault, so the control runs
# them once and the fault runs skip them (a detect-secrets scan, ~5 s, and an audit build, ~1 s, each). Selected by
# the ADR they confirm (0015 audit report, 0016 secret scanning) or their story (US3.1, the ADR set);
# tests/mutation/test_catalogue.py checks that these tags select exactly those scenarios.
CHECKOUT_ONLY = ("US3.1", "adr-0015", "adr-0016")
MESSAGE_CHARS = 240


@dataclass(frozen=True)
class Finding:
    """A scenario that failed: the evidence that a fault was caught (or, on the control, a false alarm)."""

    scenario: str
    tags: list[str]
    step: str
    message: str


@dataclass
class SuiteResult:
    exit_code: int | None
    seconds: float
    passed: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    problem: str | None = None  # the run itself broke (timeout, no results): neither a catch nor a pass


def run_live_suite(base_url: str, secret: str, allowed_origin: str, *, skip: tuple[str, ...] = CHECKOUT_ONLY,
                   keep: Path | None = None) -> SuiteResult:
    """``behave`` with BASE_URL set (``@local`` scenarios are then not run), minus ``skip``; results parsed."""
    environment = {**os.environ, "BASE_URL": base_url, "BETTER_AUTH_SECRET": secret, "ALLOWED_ORIGIN": allowed_origin}
    arguments = ["--tags", " and ".join(f"not @{tag}" for tag in skip)] if skip else []
    return _run_behave(environment, arguments, keep)


def run_local_suite(tags: tuple[str, ...], *, procfile: Path | None = None, fault: str | None = None,
                    keep: Path | None = None) -> SuiteResult:
    """``behave`` in local mode (its own rehearsal, which the scenarios may stop and start), only ``tags``; with
    ``procfile`` the rehearsal deploys that Procfile (the faulty factory) instead of the repository's."""
    environment = {key: value for key, value in os.environ.items() if key not in ("BASE_URL", "ALLOWED_ORIGIN")}
    arguments = ["--tags", " or ".join(f"@{tag}" for tag in tags)]
    if procfile is not None:
        arguments += ["-D", f"rehearsal_procfile={procfile}"]
    if fault is not None:
        environment[FAULT_VARIABLE] = fault
    return _run_behave(environment, arguments, keep)


def _run_behave(environment: dict[str, str], arguments: list[str], keep: Path | None) -> SuiteResult:
    scratch = scratch_checkout(prefix="mutation-suite-")
    command = [sys.executable, "-m", "behave", *arguments]  # behave.ini: plain to stdout, JSON to reports/
    started = time.monotonic()
    (scratch / "reports").mkdir()
    with (scratch / "reports" / "output.txt").open("wb") as output:
        process = subprocess.Popen(command, cwd=scratch, env={**environment, "PYTHONPATH": str(ROOT)},
                                   stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            code: int | None = process.wait(timeout=SUITE_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the suite this function started, by its own group
            process.wait()
            code = None
    result = SuiteResult(code, round(time.monotonic() - started, 2))
    if code is None:
        result.problem = f"the suite did not finish within {SUITE_TIMEOUT_SECONDS} s"
    else:
        _read_results(scratch, result)
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy2(scratch / "reports" / "output.txt", keep / "behave-output.txt")
    shutil.rmtree(scratch, ignore_errors=True)
    return result


def _read_results(scratch: Path, result: SuiteResult) -> None:
    """behave's results as the audit report reads them (``audit.results``): the passed scenarios, and each failed
    or errored one with its first failure."""
    results = load_results(scratch / "reports", None, scratch, redact=str)
    if results.unreadable:
        tail = (scratch / "reports" / "output.txt").read_text(errors="replace")[-600:]
        result.problem = f"the suite wrote no results (exit {result.exit_code}): {tail}"
        return
    for scenario in results.scenarios:
        if scenario.behave_status == "passed":
            result.passed.append(scenario.name)
        elif scenario.behave_status in ("failed", "error"):
            failure = scenario.failures[0]
            first = next((line.strip() for line in failure.message.splitlines() if line.strip()), "")
            result.findings.append(Finding(scenario.name, sorted(scenario.tags), failure.step, first[:MESSAGE_CHARS]))
    if result.exit_code not in (0, None) and not result.findings:
        result.problem = f"the suite exited {result.exit_code} without a failed scenario"
