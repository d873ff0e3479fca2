"""The verdict: PASSED, FAILED, or NOT RUN: <why> — and the rule that a run which did not run never passes.

NOT RUN, checked first, in this order (history/adr/0015-audit-report-generated-from-results.md):
1. the results are missing or unreadable (``reports/behave.json``);
2. the run record is missing (``reports/run.json``): the target, mode and what was exercised are unknown;
3. the suite stopped before running its scenarios (``stopped`` in the record: configuration error, target
   unreachable, token rejected, rehearsal failed to start, a hook error, interrupted) — with the error text;
4. the record and the results are from different runs (the record is stale): the scenarios they say ran differ;
5. no scenario was executed (all filtered out or skipped).
Otherwise FAILED when there is any problem (a failed scenario, a traceability gap, a dead link), else PASSED.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from audit.model import Scenario, Status
from audit.results import BEHAVE_STATUS
from audit.run import RunRecord

PASSED, FAILED, NOT_RUN = "PASSED", "FAILED", "NOT RUN"
EXIT_CODES = {PASSED: 0, FAILED: 1, NOT_RUN: 2}
EXECUTED = (Status.PASSED, Status.FAILED, Status.ERRORED)


@dataclass(frozen=True)
class Verdict:
    outcome: str
    reason: str | None = None  # NOT RUN only: why, in a few words
    detail: str | None = None  # NOT RUN only: the error text behind it

    def __str__(self) -> str:
        return f"{self.outcome}: {self.reason}" if self.reason else self.outcome

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.outcome]


def decide(run: RunRecord | None, scenarios: Sequence[Scenario], unreadable: Sequence[str],
           problems: Sequence[str]) -> Verdict:
    """``unreadable``: why the results could not be read (empty when they could)."""
    if unreadable:
        return Verdict(NOT_RUN, "no results", "; ".join(unreadable))
    if run is None:
        return Verdict(NOT_RUN, "no run record", "reports/run.json is missing or unreadable: this run's target, "
                       "mode and what it exercised are unknown, so its results cannot be vouched for")
    failure = run.stopped
    if isinstance(failure, dict):
        return Verdict(NOT_RUN, str(failure.get("reason") or "setup failed"), str(failure.get("error") or ""))
    stale = different_run(run, scenarios)
    if stale:
        return Verdict(NOT_RUN, "results from different runs", stale)
    if not any(scenario.status in EXECUTED for scenario in scenarios):
        return Verdict(NOT_RUN, "no scenario was executed", f"{len(scenarios)} scenario(s), every one filtered "
                       "out or skipped")
    return Verdict(FAILED) if problems else Verdict(PASSED)


def different_run(run: RunRecord, scenarios: Sequence[Scenario]) -> str | None:
    """Why ``run`` (run.json) does not describe the run in ``scenarios`` (behave.json), or None when it does.

    The hooks record each scenario as it ends. Both must name the same executed scenarios, and a scenario the
    record saw fail cannot have passed in the results (the converse can happen: a cleanup runs after the hook)."""
    if not isinstance(run.scenarios, list):
        return "reports/run.json lists no scenarios, so it cannot be matched to reports/behave.json"
    record = {item.location: BEHAVE_STATUS.get(item.status, Status.ERRORED) for item in run.scenarios}
    record = {location: status for location, status in record.items() if status in EXECUTED}
    results = {scenario.location: scenario.status for scenario in scenarios if scenario.status in EXECUTED}
    differing = sorted(set(record) ^ set(results))
    differing += sorted(location for location, status in results.items()
                        if status is Status.PASSED and record.get(location) not in (None, Status.PASSED))
    if differing:
        return (f"reports/run.json and reports/behave.json are from different runs: {len(differing)} scenario(s) "
                f"differ, first {differing[0]} (the record says {len(record)} ran, the results {len(results)})")
    return None
