"""behave hooks: choose the target, start the local rehearsal when there is no BASE_URL, skip @local scenarios
against a live URL with a recorded reason, clean up, and write reports/run.json.

Live mode:  BASE_URL=https://<service>.up.railway.app BETTER_AUTH_SECRET=… ALLOWED_ORIGIN=https://<app>.vercel.app
            behave   (or -D base_url=…). Only live-safe scenarios run: read-only, or self-cleaning under
            throwaway user ids.
Local mode: no BASE_URL: production is deployed on loopback as Railway would (backend.local.rehearsal) and every
            scenario runs, @local included.
Decision: history/adr/0013-behave-live-and-local-rehearsal.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import behave
import httpx

from steps.support.config import LOCAL_ONLY_REASON, SuiteConfig, SuiteConfigError, skip_reason
from steps.support.http import REDACT, Api
from steps.support.suite import RunRecord, ScenarioTiming, Suite
from steps.support.tokens import TokenMint

ROOT = Path(__file__).resolve().parent
REPORTS = ROOT / "reports"
LOCAL_TAG = "local"


def before_all(context):
    record = RunRecord(started_at=datetime.now(UTC).isoformat(timespec="seconds"))
    context.config.setup_logging()
    try:
        config = SuiteConfig.from_sources(os.environ, context.config.userdata)
    except SuiteConfigError as error:
        raise SuiteConfigError(f"live mode is not configured:\n  - {str(error).replace(chr(10), chr(10) + '  - ')}"
                               "\nSee README, 'Verifying a live deployment'.") from None
    rehearsal = None
    if not config.is_live:
        from backend.local.rehearsal import Rehearsal

        REPORTS.mkdir(exist_ok=True)
        options = {"allowed_origin": config.allowed_origin} if config.allowed_origin else {}
        print("local mode: deploying production on loopback (Procfile via honcho, ENVIRONMENT=production) …")
        rehearsal = Rehearsal(log_path=REPORTS / "rehearsal.log", **options).start()
        config = config.with_rehearsal(rehearsal.base_url, rehearsal.allowed_origin, rehearsal.secret)
        print(f"local mode: {rehearsal.base_url} healthy after {rehearsal.ready_after_seconds:.2f}s "
              f"({rehearsal.database_path})")
    assert config.base_url and config.secret
    context.suite = Suite(config=config, api=Api(config.base_url, config.request_timeout),
                          mint=TokenMint(config.secret), record=record, rehearsal=rehearsal)
    _first_look(context.suite)


def _first_look(suite: Suite) -> None:
    """Version and latency for the run record; a target that does not answer is left to the scenarios to report."""
    try:
        response = suite.api.get("/health")
    except httpx.HTTPError as error:
        suite.record.notes.append(f"/health unreachable before the run: {type(error).__name__}")
        return
    suite.record.health_latency_ms = round(response.elapsed.total_seconds() * 1000, 2)
    try:
        suite.record.version = response.json().get("version")
    except ValueError:
        suite.record.notes.append(f"/health answered {response.status_code} without JSON before the run")


def before_scenario(context, scenario):
    context.scenario_started = time.monotonic()
    reason = skip_reason(scenario.effective_tags, context.suite.config)  # the rule the FR-007 scenario checks
    if reason is not None:
        context.suite.record.not_run[scenario.name] = reason
        scenario.skip(reason=reason)


def after_scenario(context, scenario):
    context.suite.record.scenarios.append(ScenarioTiming(
        name=scenario.name, tags=list(scenario.effective_tags), status=scenario.status.name,
        seconds=round(time.monotonic() - context.scenario_started, 3),
        live_safe=LOCAL_TAG not in scenario.effective_tags,
    ))


def after_all(context):
    suite: Suite | None = getattr(context, "suite", None)
    if suite is None:
        return
    suite.api.close()
    if suite.rehearsal is not None:
        code = suite.rehearsal.stop()
        suite.record.notes.append(f"rehearsal stopped with SIGTERM, exit code {code}")
    wall = time.monotonic() - suite.record.started
    write_run_record(suite, wall)
    statuses = [item.status for item in suite.record.scenarios]
    print(f"\nacceptance suite: {suite.config.target} ({suite.config.mode} mode) — "
          f"{statuses.count('passed')} passed, {statuses.count('failed') + statuses.count('error')} failed, "
          f"{len(suite.record.not_run)} not run; {suite.api.requests} requests over {suite.api.connections} "
          f"connection(s); live-safe set {suite.record.live_safe_seconds():.1f}s; wall time {wall:.1f}s")
    for name, reason in suite.record.not_run.items():
        print(f"  not run: {name} — {reason}")


def write_run_record(suite: Suite, wall: float) -> None:
    """reports/run.json, read by the audit report (format: team contract). No secret, no token: ever."""
    record = suite.record
    rehearsal = suite.rehearsal
    data = {
        "target": suite.config.target,
        "mode": suite.config.mode,
        "version": record.version,
        "started_at": record.started_at,
        "wall_seconds": round(wall, 3),
        "suite_commit": _git_commit(),
        "behave_version": behave.__version__,
        "database_path": rehearsal.database_path if rehearsal is not None else None,
        "not_run_reason": {f"@{LOCAL_TAG}": LOCAL_ONLY_REASON} if suite.is_live else {},
        "not_run": record.not_run,
        "local_only_checks": record.local_only_checks,
        "health_latency_ms": record.health_latency_ms,
        "ready_after_seconds": rehearsal.ready_after_seconds if rehearsal is not None else None,
        "live_safe_seconds": round(record.live_safe_seconds(), 3),
        "requests": suite.api.requests,
        "connections": suite.api.connections,
        "scenarios": [vars(item) for item in record.scenarios],
        "notes": record.notes,
    }
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "run.json").write_text(REDACT(json.dumps(data, indent=2)) + "\n", encoding="utf-8")


def _git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
