"""The report's "Verification power" section: how much a pass means, from ``reports/mutation.json``.

``make mutation`` (tests/mutation/stage.py) runs the live-safe suite against the real app broken by each named
fault and against the unbroken app (the control). This module only reads that file: faults caught / total, by
class, each with the scenario and step that caught it, and the commit and date of the measurement. No file: the
section says so, it does not guess. Decision: history/adr/0021-mutation-stage.md.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from audit.document import Break, Inline, Paragraph, Section, Table, Text

RESULTS_FILE = "mutation.json"
TITLE = "10. Verification power"
CAUGHT = "caught"
LOCAL_ONLY = ("Cannot be caught from outside a live deployment: only stopping its database shows it. Measured in "
              "local mode, where the scenario stops the rehearsal's database.")


def load_power(reports: Path) -> dict[str, Any] | None:
    try:
        return json.loads((reports / RESULTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def verification_power(results: dict[str, Any] | None, suite_commit: str | None = None) -> Section:
    if not results:
        return Section(TITLE, [Paragraph((Text("Not measured: no reports/mutation.json. Run "),
                                          Text("make mutation", code=True), Text(" (part of "),
                                          Text("make test", code=True), Text(")."),))])
    faults: list[dict[str, Any]] = results.get("faults", [])
    caught = sum(1 for fault in faults if fault["status"] == CAUGHT)
    control = results.get("control", {})
    commit = str(results.get("commit") or "unknown")
    blocks: list[Any] = [
        Paragraph((Text(f"{caught} / {len(faults)} faults caught", strong=True),
                   Text(" — the live-safe suite (and, for faults only stopping the database reveals, their own "
                        "scenarios in local mode) run against the real app, started as production is, broken one "
                        "named way at a time. Measured at commit "), Text(commit[:12], code=True),
                   Text(f" on {results.get('measured_at', 'unknown')}: {results.get('wall_seconds', '?')} s wall time, "
                        f"{results.get('jobs', '?')} faults at a time, {results.get('cpu_seconds', '?')} CPU-seconds "
                        f"on {results.get('cores', '?')} cores, load average {_load(results)}."))),
        Paragraph((Text("Control:", strong=True), Text(" " + _control_line(control)),)),
    ]
    if suite_commit and not suite_commit.startswith(commit[:12]) and not commit.startswith(suite_commit[:12]):
        blocks.append(Paragraph((Text("Measured on another commit than this report's suite run "
                                      f"({suite_commit[:12]}): re-run make mutation for a current figure."),)))
    blocks.append(Table(("Class", "Faults", "Caught", "Not caught, and why"), _by_class(faults)))
    blocks.append(Table(("Fault", "What is broken", "Result", "Caught by (scenario › first failing step)"),
                        tuple(_fault_row(fault) for fault in faults)))
    return Section(TITLE, blocks)


def _with_code(text: str) -> tuple[Inline, ...]:
    """A description's `backticked` parts as code, the rest as text."""
    return tuple(Text(part, code=index % 2 == 1) for index, part in enumerate(text.split("`")) if part)


def _load(results: dict[str, Any]) -> str:
    load = results.get("load_average") or []
    return " → ".join(f"{value:.1f}" for value in load) or "unknown"


def _control_line(control: dict[str, Any]) -> str:
    alarms = control.get("false_alarms", [])
    local = len(control.get("local_scenarios", []))
    line = (f"the unbroken app {control.get('status', 'unknown')}: {control.get('passed', 0)} scenarios passed "
            f"({local} of them in local mode, for the faults that need database control), {len(alarms)} false "
            "alarm(s)")
    if alarms:
        line += " — " + "; ".join(f"{alarm['scenario']}: {alarm['message']}" for alarm in alarms)
    if control.get("problem"):
        line += f" — {control['problem']}"
    return line


def _by_class(faults: list[dict[str, Any]]) -> tuple[tuple[tuple[Inline, ...], ...], ...]:
    rows = []
    for kind in dict.fromkeys(fault["class"] for fault in faults):
        members = [fault for fault in faults if fault["class"] == kind]
        missed = Counter(fault["status"] for fault in members if fault["status"] != CAUGHT)
        rows.append(((Text(kind),), (Text(str(len(members))),),
                     (Text(str(sum(1 for fault in members if fault["status"] == CAUGHT))),),
                     (Text(", ".join(f"{count} {state}" for state, count in missed.items()) or "—"),)))
    return tuple(rows)


def _fault_row(fault: dict[str, Any]) -> tuple[tuple[Inline, ...], ...]:
    evidence: list[Inline] = []
    for finding in fault.get("caught_by", []):
        if evidence:
            evidence.append(Break())
        evidence += [Text(finding["scenario"]), Text(" › "), Text(finding["step"], code=True)]
    if not evidence:
        evidence = [Text(fault.get("reason") or "no scenario failed")]
    if fault.get("note"):
        evidence += [Break(), Text(fault["note"])]
    if fault.get("needs") == "local":
        evidence += [Break(), Text(LOCAL_ONLY)]
    must = " ".join(f"@{tag}" for tag in fault.get("must_catch", []))
    return ((Text(fault["name"], code=True), Break(), Text(fault["class"]), Break(), Text(f"must fail: {must}")),
            _with_code(fault["description"]),
            (Text(fault["status"], strong=fault["status"] != CAUGHT),), tuple(evidence))
