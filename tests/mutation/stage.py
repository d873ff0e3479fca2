"""``make mutation``: how much a passing suite means, measured.

1. Deploy production on loopback exactly as the local rehearsal does (PostgreSQL behind PgBouncer, migrations,
   the Procfile's web line via honcho) and run the live-safe suite against it: the control, which must pass.
2. For every fault: start one more web process from a copy of the Procfile whose module target is
   ``tests.mutation.app:create_app_with_fault`` (same flags, same environment, same database), run the live-safe
   suite against it, and record which scenarios failed. A fault no scenario catches has survived.
3. Write ``reports/mutation.json`` (read by ``audit/power.py`` for the report) and exit 1 on a false alarm, a
   survivor or a fault that could not be measured.

Faults run in parallel (``--jobs``): every suite run uses its own throwaway users, so runs cannot see each other.
Decision: history/adr/0021-mutation-stage.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from backend.local.checkout import commit, git, procfile
from backend.local.postgres import free_port
from backend.local.processes import stop_process
from backend.local.rehearsal import ROOT, Rehearsal, start_procfile_web, wait_until_healthy
from tests.mutation.app import FAULT_VARIABLE, TARGET
from tests.mutation.catalogue import FAULTS
from tests.mutation.fault import LIVE, Fault
from tests.mutation.suite_run import CHECKOUT_ONLY, SuiteResult, run_live_suite, run_local_suite

PRODUCTION_TARGET = "backend.main:create_app_from_environment"
RESULTS = ROOT / "reports" / "mutation.json"
LOGS = ROOT / "reports" / "mutation"
DEFAULT_JOBS = 4  # half the time a fault run waits (on its web process, on the database): 2 cores stay busy

CAUGHT, SURVIVED, NOT_MEASURED = "caught", "survived", "not measured"


def fault_procfile(fault: Fault, folder: Path) -> Path:
    """The production Procfile with the factory swapped for the faulty one, and the fault's own edit if any."""
    web = procfile()["web"]
    assert web.count(PRODUCTION_TARGET) == 1, f"the Procfile's web line no longer names {PRODUCTION_TARGET} " \
        "exactly once: update tests/mutation/stage.py"
    command = "web: " + web.replace(PRODUCTION_TARGET, TARGET)
    if fault.web_command is not None:
        changed = fault.web_command(command)
        assert changed != command, f"{fault.name}: its Procfile edit no longer matches the web line"
        command = changed
    path = folder / "Procfile"
    path.write_text(command + "\n", encoding="utf-8")
    return path


def measure(fault: Fault, rehearsal: Rehearsal) -> tuple[SuiteResult, float]:
    """Deploy the fault and run the suite against it: the live-safe set against one more web process on the shared
    database, or, for a fault only database control reveals, its scenarios in local mode on their own rehearsal."""
    started = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix=f"mutation-{fault.name}-"))
    procfile = fault_procfile(fault, folder)
    if fault.needs != LIVE:
        result = run_local_suite(fault.caught_by, procfile=procfile, fault=fault.name, keep=LOGS / fault.name)
        shutil.rmtree(folder, ignore_errors=True)
        return result, round(time.monotonic() - started, 2)
    log = LOGS / f"{fault.name}.log"
    port = free_port()
    process = start_procfile_web(port, {**rehearsal.environment(), FAULT_VARIABLE: fault.name}, log, procfile)
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_until_healthy(base_url, process, log, timeout=60)
        result = run_live_suite(base_url, rehearsal.secret, rehearsal.allowed_origin, keep=LOGS / fault.name)
    except RuntimeError as error:
        result = SuiteResult(None, 0.0, problem=f"the faulty app did not start: {str(error)[:300]}")
    finally:
        stop_process(process)
        shutil.rmtree(folder, ignore_errors=True)
    return result, round(time.monotonic() - started, 2)


def outcome(fault: Fault, result: SuiteResult, seconds: float, false_alarms: set[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": fault.name, "class": fault.kind.value, "description": fault.description,
                             "must_catch": list(fault.caught_by), "needs": fault.needs, "seconds": seconds}
    return {**entry, **verdict(fault, result, false_alarms)}


def verdict(fault: Fault, result: SuiteResult, false_alarms: set[str]) -> dict[str, Any]:
    """Caught when a scenario that passes on the unbroken app fails on the broken one. A scenario that also fails
    on the control proves nothing about the fault, so it is not counted; the fault's own scenarios come first."""
    findings = [vars(finding) for finding in result.findings if finding.scenario not in false_alarms]
    caught_by = sorted(findings, key=lambda item: not set(fault.caught_by) & set(item["tags"]))
    if result.problem:
        return {"status": NOT_MEASURED, "reason": result.problem, "caught_by": caught_by}
    if not caught_by:
        reason = "no scenario failed" + (" (scenarios failing on the control too are not counted: "
                                         f"{', '.join(sorted(false_alarms))})" if false_alarms else "")
        return {"status": SURVIVED, "reason": reason, "caught_by": []}
    expected = set(fault.caught_by) & set(caught_by[0]["tags"])
    note = None if expected else f"caught, but not by the scenario(s) it names ({', '.join(fault.caught_by)})"
    return {"status": CAUGHT, "caught_by": caught_by, "note": note}


def control(rehearsal: Rehearsal, local_tags: tuple[str, ...]) -> dict[str, Any]:
    """The unbroken app, from the production Procfile: every live-safe scenario must pass, and so must the
    local-mode scenarios that judge the faults needing database control."""
    live = run_live_suite(rehearsal.base_url, rehearsal.secret, rehearsal.allowed_origin, skip=(),
                          keep=LOGS / "control")
    local = run_local_suite(local_tags, keep=LOGS / "control-local") if local_tags else SuiteResult(0, 0.0)
    findings = [vars(item) for item in [*live.findings, *local.findings]]
    problem = "; ".join(problem for problem in (live.problem, local.problem) if problem) or None
    return {"passed": len(live.passed) + len(local.passed), "false_alarms": findings, "problem": problem,
            "seconds": round(live.seconds + local.seconds, 2), "local_scenarios": sorted(local.passed),
            "status": "passed" if not findings and not problem and live.passed else "failed"}


def run(names: list[str], jobs: int) -> dict[str, Any]:
    LOGS.mkdir(parents=True, exist_ok=True)
    started, cpu_before, load_before = time.monotonic(), _children_cpu(), os.getloadavg()[0]
    local_tags = tuple(sorted({tag for name in names for tag in FAULTS[name].caught_by if FAULTS[name].needs != LIVE}))
    with Rehearsal(log_path=LOGS / "control-app.log") as rehearsal, ThreadPoolExecutor(max_workers=jobs) as pool:
        checked = pool.submit(control, rehearsal, local_tags)
        # The local-mode faults (a whole rehearsal each) first: the longest runs must not be the tail.
        order = sorted(names, key=lambda name: FAULTS[name].needs == LIVE)
        measured_by_name = dict(zip(order, pool.map(lambda name: measure(FAULTS[name], rehearsal), order),
                                    strict=True))
        results = [measured_by_name[name] for name in names]
        control_result = checked.result()
    # Judged once the control is known: a scenario failing on the unbroken app cannot count as catching a fault.
    false_alarms = {alarm["scenario"] for alarm in control_result["false_alarms"]}
    measured = [outcome(FAULTS[name], result, seconds, false_alarms) for name, (result, seconds) in zip(
        names, results, strict=True)]
    return {
        "commit": commit(), "commit_date": git("log", "-1", "--format=%cI"),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "wall_seconds": round(
            time.monotonic() - started, 1), "jobs": jobs,
        # CPU of every process the stage waited for (web processes, suites); the PostgreSQL and PgBouncer daemons
        # are not counted. Wall time depends on what else the machine runs: the load average says how busy it was.
        "cpu_seconds": round(_children_cpu() - cpu_before, 1), "cores": os.cpu_count(),
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "suite": "live-safe scenarios (BASE_URL mode); fault runs "
        f"skip the checkout-only {', '.join('@' + tag for tag in CHECKOUT_ONLY)}; faults that need database "
        "control run their own scenarios in local mode",
        "control": control_result, "faults": measured,
    }


def summary(results: dict[str, Any]) -> tuple[str, bool]:
    faults = results["faults"]
    count = {state: sum(1 for item in faults if item["status"] == state)
             for state in (CAUGHT, SURVIVED, NOT_MEASURED)}
    lines = [f"{item['status']:>12}  {item['name']:<30} {_first_catch(item)}" for item in faults]
    control_result = results["control"]
    lines.append(f"control (unbroken app): {control_result['status']} — {control_result['passed']} scenarios passed, "
                 f"{len(control_result['false_alarms'])} false alarm(s)"
                 + (f"; {control_result['problem']}" if control_result["problem"] else ""))
    for alarm in control_result["false_alarms"]:
        lines.append(f"  false alarm: {alarm['scenario']} — {alarm['step']}: {alarm['message']}")
    lines.append(f"mutation stage: {count[CAUGHT]}/{len(faults)} faults caught, {count[SURVIVED]} survived, "
                 f"{count[NOT_MEASURED]} not measured ({sum(1 for item in faults if item['needs'] != LIVE)} measured "
                 "in local mode); "
                 f"wall time {results['wall_seconds']:.0f} s with {results['jobs']} jobs, {results['cpu_seconds']:.0f} "
                 f"CPU-seconds on {results['cores']} cores (load average {results['load_average'][0]:.1f} → "
                 f"{results['load_average'][1]:.1f})")
    ok = control_result["status"] == "passed" and not count[SURVIVED] and not count[NOT_MEASURED]
    return "\n".join(lines), ok


def _first_catch(item: dict[str, Any]) -> str:
    if item["caught_by"]:
        first = item["caught_by"][0]
        return f"by {', '.join('@' + tag for tag in first['tags'] if tag[:1] in 'UEFS')}: {first['step'][:70]}"
    return item.get("reason") or ""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS, help="faults measured at once")
    parser.add_argument("faults", nargs="*", help="fault names (default: all)")
    arguments = parser.parse_args(argv)
    names = arguments.faults or list(FAULTS)
    unknown = [name for name in names if name not in FAULTS]
    if unknown:
        parser.error(f"unknown fault(s): {', '.join(unknown)}")
    results = run(names, arguments.jobs)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    text, ok = summary(results)
    print(text)
    print(f"results: {RESULTS.relative_to(ROOT)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
