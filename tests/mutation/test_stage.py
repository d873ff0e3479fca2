"""The stage's judgement: a survivor, a false alarm or an unmeasured fault fails it; a scenario that also fails on
the unbroken app never counts as a catch."""

from __future__ import annotations

from typing import Any

from tests.mutation.catalogue import FAULTS
from tests.mutation.stage import CAUGHT, NOT_MEASURED, SURVIVED, summary, verdict
from tests.mutation.suite_run import Finding, SuiteResult

FAULT = FAULTS["cors-null-origin"]  # must be caught by @US2.2
CORS = Finding("CORS admits the Vercel production origin and nothing else", ["US2.2", "FR-004"], "Then …", "null")
OTHER = Finding("Another user's valid token reaches none of a user's tasks", ["US2.3"], "Then …", "…")


def test_a_failing_scenario_is_a_catch_and_the_faults_own_scenario_comes_first() -> None:
    judged = verdict(FAULT, SuiteResult(1, 1.0, findings=[OTHER, CORS]), false_alarms=set())
    assert judged["status"] == CAUGHT and judged["caught_by"][0]["scenario"] == CORS.scenario
    assert judged["note"] is None


def test_a_scenario_failing_on_the_control_too_is_not_a_catch() -> None:
    judged = verdict(FAULT, SuiteResult(1, 1.0, findings=[CORS]), false_alarms={CORS.scenario})
    assert judged["status"] == SURVIVED and CORS.scenario in judged["reason"]


def test_a_catch_by_another_scenario_is_noted() -> None:
    judged = verdict(FAULT, SuiteResult(1, 1.0, findings=[OTHER]), false_alarms=set())
    assert judged["status"] == CAUGHT and "US2.2" in judged["note"]


def test_a_run_that_broke_is_not_measured_even_with_findings() -> None:
    judged = verdict(FAULT, SuiteResult(None, 1.0, findings=[CORS], problem="timed out"), false_alarms=set())
    assert judged["status"] == NOT_MEASURED


def _results(statuses: list[str], control: str = "passed", alarms: int = 0) -> dict[str, Any]:
    faults = [{"name": f"f{index}", "status": status, "needs": "live", "caught_by": [], "reason": None}
              for index, status in enumerate(statuses)]
    return {"faults": faults, "wall_seconds": 1.0, "jobs": 1, "cpu_seconds": 1.0, "cores": 2,
            "load_average": [0.0, 0.0],
            "control": {"status": control, "passed": 3, "problem": None,
                        "false_alarms": [{"scenario": "s", "step": "t", "message": "m"}] * alarms}}


def test_the_stage_passes_only_when_every_fault_is_caught_and_the_control_passes() -> None:
    assert summary(_results([CAUGHT, CAUGHT]))[1] is True
    assert summary(_results([CAUGHT, SURVIVED]))[1] is False
    assert summary(_results([CAUGHT, NOT_MEASURED]))[1] is False
    assert summary(_results([CAUGHT], control="failed", alarms=1))[1] is False
