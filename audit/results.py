"""What the suite actually did: behave's JSON, completed from JUnit and the feature files where JSON is lossy.

behave 1.3's JSON formatter loses detail the report needs:
- ``error`` and ``hook_error`` steps carry no message (JUnit's ``<error message=…>`` has it);
- feature-level (and rule-level) tags are not repeated on scenarios (merged here from the feature element and,
  when the feature files are present, from behave's own parser: ``effective_tags``);
- scenarios inside a ``Rule`` get ``"status": null`` (JUnit's ``status`` attribute has it).
Scenarios declared in the feature files but absent from the results (``--no-skipped``, a crashed
``before_feature``) are added as "not run", so an absent scenario can never pass silently.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audit.features import FeatureScenario, read_features
from audit.links import show
from audit.model import Scenario, Status, StepFailure
from audit.run import RunRecord

Redact = Callable[[str], str]

BEHAVE_STATUS = {
    "passed": Status.PASSED,
    "failed": Status.FAILED,
    "error": Status.ERRORED,
    "hook_error": Status.ERRORED,
    "undefined": Status.ERRORED,
    "pending": Status.ERRORED,
    "pending_warn": Status.ERRORED,
    "skipped": Status.NOT_RUN,
    "untested": Status.NOT_RUN,
    "untested_pending": Status.NOT_RUN,
    "untested_undefined": Status.NOT_RUN,
}
STEP_PROBLEMS = {"failed", "error", "hook_error", "undefined", "pending"}
ABSENT_REASON = "declared in the feature files but absent from the results (not executed)"


@dataclass
class JUnitCase:
    classname: str
    name: str
    status: str
    message: str | None
    skipped_reason: str | None


@dataclass
class Results:
    """Every scenario with its outcome, the run's metadata and what was wrong with the inputs themselves."""

    scenarios: list[Scenario]
    run: RunRecord | None  # None: reports/run.json is missing or is no record
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # why behave's results could not be read


def load_results(reports: Path, features: Path | None, root: Path, redact: Redact) -> Results:
    """Read ``reports/behave.json``, ``reports/junit/*.xml`` and ``reports/run.json`` (the suite's contract)."""
    problems: list[str] = []
    warnings: list[str] = []
    unreadable: list[str] = []
    run = RunRecord.read(reports / "run.json", problems)
    junit_files = sorted((reports / "junit").glob("*.xml"))
    if not junit_files:
        warnings.append(f"no JUnit XML in {show(reports / 'junit', root)}: error messages may be missing")
    behave_json = reports / "behave.json"
    try:
        features_json = json.loads(behave_json.read_text(encoding="utf-8"))
    except FileNotFoundError:
        unreadable.append(f"{show(behave_json, root)} does not exist: the suite did not run or wrote no results")
        features_json = []
    except json.JSONDecodeError as error:
        unreadable.append(f"{show(behave_json, root)} is not valid JSON ({error.msg}): the suite run was cut short")
        features_json = []
    declared = ({scenario.location: scenario for scenario in read_features(features, root, warnings)}
                if features and features.is_dir() else {})
    reasons = {str(tag).lstrip("@"): str(text) for tag, text in ((run.not_run_reason if run else None) or {}).items()}
    cases = read_junit(junit_files)
    scenarios = [_scenario(element, feature, cases, declared, reasons, redact) for feature in features_json
                 for element in _scenario_elements(feature.get("elements") or [])]
    seen = {scenario.location for scenario in scenarios}
    for location, absent in declared.items():
        if location not in seen:
            reason = _not_run_reason(absent.tags, reasons, None) or ABSENT_REASON
            scenarios.append(Scenario(feature=redact(absent.feature), name=redact(absent.name), location=location,
                                      tags=absent.tags, status=Status.NOT_RUN, behave_status="absent",
                                      not_run_reason=redact(reason)))
    if not scenarios and not unreadable:
        unreadable.append(f"{show(behave_json, root)} holds no scenarios")
    exercised = {item.location: item.exercised for item in (run.scenarios if run else None) or []}
    for scenario in scenarios:
        facts = exercised.get(scenario.location)
        scenario.exercised = {str(key): str(value) for key, value in facts.items()} if isinstance(facts, dict) else {}
    return Results(scenarios=scenarios, run=run, problems=problems + unreadable, warnings=warnings,
                   unreadable=unreadable)


def read_junit(paths: list[Path]) -> list[JUnitCase]:
    """Test cases in document order. The files are behave's own output on this machine, not untrusted input."""
    cases: list[JUnitCase] = []
    for path in paths:
        root = ElementTree.parse(path).getroot()  # noqa: S314 - our own suite's output
        for case in root.iter("testcase"):
            message = None
            for tag in ("error", "failure"):
                element = case.find(tag)
                if element is not None:
                    kind = element.get("type") or ""
                    text = element.get("message") or ""
                    message = f"{kind}: {text}" if kind and not text.startswith("HOOK-ERROR") else text
                    break
            skipped = case.find("skipped")
            cases.append(JUnitCase(
                classname=case.get("classname", ""), name=case.get("name", "").strip(),
                status=case.get("status", ""), message=message,
                skipped_reason=(skipped.get("message") or (skipped.text or "").strip() or None)
                if skipped is not None else None,
            ))
    return cases


def _scenario_elements(elements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for element in elements:
        if element.get("type") in {"scenario", "scenario_outline"}:
            found.append(element)
        elif isinstance(element.get("elements"), list):  # a Rule, should a formatter ever nest them
            found.extend(_scenario_elements(element["elements"]))
    return found


def _scenario(element: dict[str, Any], feature: dict[str, Any], cases: list[JUnitCase],
              declared: dict[str, FeatureScenario], reasons: dict[str, str], redact: Redact) -> Scenario:
    """One scenario of behave's JSON; its tags are the feature's, its own and, as behave's parser reads them, the
    rule's (``declared``)."""
    feature_name, name = str(feature.get("name", "")).strip(), str(element.get("name", "")).strip()
    location = str(element.get("location", ""))
    tags = frozenset(str(tag) for tag in [*(feature.get("tags") or []), *(element.get("tags") or [])])
    if location in declared:
        tags |= declared[location].tags
    case = _take_case(cases, feature_name, name)
    steps = element.get("steps") or []
    behave_status = element.get("status") or (case.status if case else "") or _status_from_steps(steps)
    status = BEHAVE_STATUS.get(behave_status, Status.ERRORED)
    failures = [_step_failure(step, case) for step in steps
                if (step.get("result") or {}).get("status") in STEP_PROBLEMS]
    if status in {Status.FAILED, Status.ERRORED} and not failures:
        hook = "hook" if behave_status == "hook_error" else "scenario"
        message = case.message if case and case.message else f"behave reported {behave_status!r} without a message"
        failures.append(StepFailure(step=hook, status=status, message=message))
    reason = _not_run_reason(tags, reasons, case.skipped_reason if case else None) if status is Status.NOT_RUN else None
    return Scenario(
        feature=redact(feature_name), name=redact(name), location=location, tags=tags, status=status,
        behave_status=behave_status,
        not_run_reason=redact(reason or "skipped by behave") if status is Status.NOT_RUN else None,
        failures=[StepFailure(redact(item.step), item.status, redact(item.message)) for item in failures],
    )


def _step_failure(step: dict[str, Any], case: JUnitCase | None) -> StepFailure:
    result = step.get("result") or {}
    behave_status = str(result.get("status"))
    label = f"{step.get('keyword', '')} {step.get('name', '')}".strip()
    message = result.get("error_message")
    if isinstance(message, list):
        message = "\n".join(str(line) for line in message)
    if not message and behave_status == "undefined":
        message = "undefined step: no step implementation matches it"
    if not message and case is not None:
        message = case.message
    return StepFailure(step=label, status=BEHAVE_STATUS.get(behave_status, Status.ERRORED),
                       message=str(message or f"behave reported {behave_status!r} without a message"))


def _take_case(cases: list[JUnitCase], feature: str, name: str) -> JUnitCase | None:
    """The first unused JUnit case for this scenario (classname is ``<file stem>.<feature name>``)."""
    for index, case in enumerate(cases):
        if case.name == name and (case.classname == feature or case.classname.endswith(f".{feature}")):
            return cases.pop(index)
    return None


def _status_from_steps(steps: list[dict[str, Any]]) -> str:
    statuses = [str((step.get("result") or {}).get("status", "untested")) for step in steps]
    for candidate in ("hook_error", "error", "failed", "undefined"):
        if candidate in statuses:
            return candidate
    if statuses and all(status == "passed" for status in statuses):
        return "passed"
    return "skipped"


def _not_run_reason(tags: frozenset[str], reasons: dict[str, str], junit_reason: str | None) -> str | None:
    for tag in sorted(tags):
        if tag in reasons:
            return f"@{tag}: {reasons[tag]}"
    return junit_reason
