"""behave hooks: choose the target, start the local rehearsal when there is no BASE_URL, check the suite can run
against it at all, skip what must not run there with a recorded reason, clean up, and write reports/run.json.

Live mode:  BASE_URL=https://<service>.up.railway.app BETTER_AUTH_SECRET=… ALLOWED_ORIGIN=https://<app>.vercel.app
            behave   (or -D base_url=…). Only live-safe scenarios run: read-only, or self-cleaning under
            throwaway user ids.
Local mode: no BASE_URL: production is deployed on loopback as Railway would (backend.local.rehearsal) and every
            scenario runs, @local included.
When the suite cannot run (configuration error, target unreachable, token rejected, rehearsal failed to start,
an error in these hooks) or is interrupted (Ctrl-C),
before_all fails with one line saying why, reports/run.json records it as ``stopped``, and the audit report's
verdict is NOT RUN. Decision: history/adr/0013-behave-live-and-local-rehearsal.md.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import behave

from audit.results import BEHAVE_STATUS
from audit.run import RunRecord, ScenarioRecord
from audit.traceability import CHECKOUT_TAG, LOCAL_TAG
from audit.verdict import EXECUTED
from backend.local.checkout import commit, git
from steps.support.config import (
    LOCAL_ONLY_REASON,
    NO_TLS_EDGE,
    NOT_REHEARSED,
    STAND_IN_TLS_EDGE,
    SuiteConfig,
    SuiteConfigError,
    skip_reason,
)
from steps.support.http import REDACT, Api
from steps.support.preflight import preflight
from steps.support.suite import Suite, SuiteNotRun
from steps.support.tokens import TokenMint


def before_all(context):
    context.config.setup_logging()
    context.reports = Path(context.config.userdata.get("reports", "reports")).resolve()  # behave.ini; -D reports=…
    context.record = RunRecord(started_at=datetime.now(UTC).isoformat(timespec="seconds"),
                               suite_commit=commit(), scenarios=[])
    (context.reports / "run.json").unlink(missing_ok=True)  # a stale record must never describe this run
    try:
        context.suite = set_up(context.config.userdata, context.record, context.reports)
    except SuiteConfigError as error:
        context.record.stopped = {"reason": "configuration error", "error": str(error)}
        raise SuiteNotRun("configuration error", f"live mode is not configured:\n  - "
                          f"{str(error).replace(chr(10), chr(10) + '  - ')}\n"
                          "See README, 'Verifying a live deployment'.") from None
    except SuiteNotRun as failure:
        context.record.stopped = {"reason": failure.reason, "error": failure.detail}
        raise
    except Exception as error:  # a bug in the hooks themselves: still not a run
        context.record.stopped = {"reason": "hook error", "error": f"{type(error).__name__}: {error}"}
        raise


def set_up(userdata: Any, record: RunRecord, reports: Path) -> Suite:
    """The configured target (a rehearsal started here in local mode), checked by the preflight."""
    config = SuiteConfig.from_sources(os.environ, userdata)
    record.target, record.mode = config.target, config.mode
    rehearsal = None
    if not config.is_live:
        from backend.local.rehearsal import Rehearsal

        reports.mkdir(parents=True, exist_ok=True)
        options: dict = {"allowed_origin": config.allowed_origin} if config.allowed_origin else {}
        if userdata.get("rehearsal_procfile"):  # the mutation stage deploys a faulty app (ADR 0021)
            options["procfile"] = Path(userdata["rehearsal_procfile"])
            record.notes.append(f"rehearsal deployed from {options['procfile']}, not the repository's Procfile")
        print("local mode: deploying production on loopback (Procfile via honcho, ENVIRONMENT=production) …")
        try:
            rehearsal = Rehearsal(log_path=reports / "rehearsal.log", **options).start()
        except Exception as error:
            output = getattr(error, "stderr", None)  # a failed migration: alembic's own words
            raise SuiteNotRun("rehearsal failed to start", f"{type(error).__name__}: {error}"
                              + (f"\n{output[-2000:]}" if isinstance(output, str) and output else "")) from None
        config = config.with_rehearsal(rehearsal.public_url, rehearsal.allowed_origin, rehearsal.secret)
        record.database_path = rehearsal.database_path
        record.edge, record.tls_edge = rehearsal.edge_description, rehearsal.edge is not None
        print(f"local mode: serving on {rehearsal.public_url} ({rehearsal.database_path})\n"
              f"local mode: edge: {rehearsal.edge_description}")
    assert config.base_url and config.secret
    api = Api(config.base_url, config.request_timeout, verify=rehearsal.tls_verify if rehearsal else True)
    suite = Suite(config=config, api=api, mint=TokenMint(config.secret), record=record, reports=reports,
                  rehearsal=rehearsal)
    try:
        preflight(suite)
    except BaseException:
        tear_down(suite)
        raise
    return suite


def before_scenario(context, scenario):
    context.scenario_started = time.monotonic()
    reason = skip_reason(scenario.effective_tags, context.suite.config)  # the rule the FR-007 scenario checks
    if reason is not None:
        context.suite.record.not_run[scenario.name] = reason
        scenario.skip(reason=reason)
    elif CHECKOUT_TAG in scenario.effective_tags and context.suite.is_live:
        commit, target = (context.suite.record.suite_commit or "unknown")[:12], context.suite.config.target
        print(f"    (@checkout: reads this checkout, commit {commit}, not the deployment at {target})")


def after_scenario(context, scenario):
    context.suite.record.finish_scenario(ScenarioRecord(
        name=scenario.name, location=str(scenario.location), tags=sorted(str(tag) for tag in scenario.effective_tags),
        status=scenario.status.name, seconds=round(time.monotonic() - context.scenario_started, 3),
        live_safe=LOCAL_TAG not in scenario.effective_tags,
    ))


def after_all(context):
    record: RunRecord = context.record
    suite: Suite | None = getattr(context, "suite", None)
    interrupted = context.aborted and record.stopped is None  # Ctrl-C: behave aborts the run and comes here
    if interrupted:
        record.stopped = {"reason": "interrupted", "error": f"the run was aborted after {len(record.scenarios)} "
                                                            "scenario(s); the others did not run"}
    wall = time.monotonic() - record.started
    try:
        if suite is not None:
            tear_down(suite)
    finally:
        write_run_record(record, suite, wall, context.reports)
    if record.stopped is None and not any(BEHAVE_STATUS.get(item.status) in EXECUTED for item in record.scenarios):
        raise SuiteNotRun("no scenario was executed", "every scenario was filtered out or skipped; the audit "
                          "report's verdict is NOT RUN")  # the report's rule
    print(summary_line(record, suite, wall, context.reports))
    if record.stopped is not None and not interrupted:
        # behave prints "ABORTED: By user." after any failed before_all, though its reason is printed already and
        # no user aborted anything. The run still fails: behave counts the hook error.
        context.aborted = False


def tear_down(suite: Suite) -> None:
    suite.api.close()
    if suite.rehearsal is not None:
        code = suite.rehearsal.stop()
        suite.record.notes.append(f"rehearsal stopped with SIGTERM, exit code {code}")


def summary_line(record: RunRecord, suite: Suite | None, wall: float, reports: Path) -> str:
    """The suite's last line: what ran, not the verdict (that is the audit report's, `make report`)."""
    shown = Path(os.path.relpath(reports)).as_posix()
    if record.stopped is not None:
        executed = sum(BEHAVE_STATUS.get(item.status) in EXECUTED for item in record.scenarios)
        ran = f"{executed} scenario(s) executed" if executed else "no scenario executed"
        return (f"acceptance suite NOT RUN: {record.stopped['reason']} — {ran}; wall time {wall:.1f} s; record: "
                f"{shown}/run.json")
    assert suite is not None
    statuses = [item.status for item in record.scenarios]
    failed = len(statuses) - statuses.count("passed") - statuses.count("skipped")
    return (f"acceptance suite ({suite.config.target}): {statuses.count('passed')} passed, {failed} failed, "
            f"{len(record.not_run)} not run; {suite.api.requests} requests over {suite.api.connections} "
            f"connection(s); wall time {wall:.1f} s; results: {shown}/")


def write_run_record(record: RunRecord, suite: Suite | None, wall: float, reports: Path) -> None:
    """run.json in ``reports``, read by the audit report (``audit.run``). No secret, no token: ever."""
    rehearsal = suite.rehearsal if suite is not None else None
    record.wall_seconds = round(wall, 3)
    record.checkout_modified = bool(git("status", "--porcelain", "--untracked-files=no"))
    record.behave_version = behave.__version__
    record.not_rehearsed = [STAND_IN_TLS_EDGE if item == NO_TLS_EDGE and record.tls_edge else item
                            for item in NOT_REHEARSED.get(record.mode or "", ())]
    record.not_run_reason = {f"@{LOCAL_TAG}": LOCAL_ONLY_REASON} if record.mode == "live" else {}
    record.ready_after_seconds = rehearsal.ready_after_seconds if rehearsal is not None else None
    record.live_safe_seconds = round(sum(item.seconds for item in record.live_safe()), 3)
    record.requests, record.connections = (suite.api.requests, suite.api.connections) if suite else (0, 0)
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "run.json").write_text(REDACT(record.dumps()) + "\n", encoding="utf-8")
