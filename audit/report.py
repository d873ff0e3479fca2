"""From the analysed inputs (``audit.analysis``) to the report's document: its sections, in order.

Rendered twice, as Markdown and HTML (``audit.render``). The rules deciding results and the verdict are in
``audit.analysis``, ``audit.verdict`` and ``audit.confirmation``; this module only presents them.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from audit.adrs import adr_number
from audit.analysis import Analysis, Inputs
from audit.confirmation import Confirmation
from audit.document import Badge, Break, Bullets, CodeBlock, Document, Inline, Link, Paragraph, Section, Table, Text
from audit.model import Scenario, Status, aggregate
from audit.power import verification_power
from audit.scope import scope_section
from audit.spec import KIND_NAMES
from audit.traceability import CHECKOUT_TAG
from audit.verdict import NOT_RUN

MAX_MESSAGE_CHARS = 4000
MAX_DETAIL_CHARS = 300
STATUS_ORDER = (Status.PASSED, Status.FAILED, Status.ERRORED, Status.NOT_RUN)


def build(inputs: Inputs, analysis: Analysis) -> Document:
    verdict = analysis.verdict()
    line = verdict_line(analysis)
    unconfirmed = [f"ADR {adr.number}" for adr in inputs.adrs
                   if adr.is_accepted and not analysis.confirmation(adr).confirmed]
    return Document(
        title="Audit report — Tasks API on Railway + Neon",
        verdict=line,
        outcome=verdict.outcome,
        sections=[
            _metadata(inputs),
            _verdict(analysis, line),
            scope_section("3. What this run could not show", inputs.record, inputs.scenarios, unconfirmed),
            _matrix(inputs, analysis),
            _endpoints(inputs),
            _variables(inputs),
            _security(inputs, analysis),
            _decisions(inputs, analysis),
            _failures(inputs),
            verification_power(inputs.power, inputs.record.suite_commit),
        ],
    )


def verdict_line(analysis: Analysis) -> str:
    """``VERDICT: PASSED|FAILED|NOT RUN: <why> (<error>) — counts``; the error text on one line, shortened."""
    verdict = analysis.verdict()
    counts = analysis.counts
    total = sum(counts.values())
    line = f"VERDICT: {verdict}"
    if verdict.detail:
        detail = " ".join(verdict.detail.split())
        line += f" ({detail[:MAX_DETAIL_CHARS]}{'…' if len(detail) > MAX_DETAIL_CHARS else ''})"
    line += (f" — {total} scenarios: {counts[Status.PASSED]} passed, {counts[Status.FAILED]} failed, "
             f"{counts[Status.ERRORED]} errored, {counts[Status.NOT_RUN]} not run")
    if verdict.outcome != NOT_RUN and analysis.problems:
        line += f"; {len(analysis.problems)} problem(s), first: {analysis.problems[0]}"
    return line


# ------------------------------------------------------------------------------------------------- sections


def _metadata(inputs: Inputs) -> Section:
    def value(key: str, suffix: str = "") -> str:
        item = getattr(inputs.record, key)
        return "unknown" if item is None or item == "" else f"{item}{suffix}"

    rows = [
        ("Target", value("target")),
        ("Mode", value("mode")),
        ("Deployed version (as /health reports it)", value("version")),
        ("Started at (UTC)", value("started_at")),
        ("Wall time", value("wall_seconds", " s")),
        ("Suite commit", value("suite_commit")),
        ("behave version", value("behave_version")),
        ("Database path", value("database_path")),
        ("/health latency", value("health_latency_ms", " ms")),
        ("Report generated (UTC)", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")),
    ]
    return Section("1. Run metadata", [
        Table(("Field", "Value"), tuple(((Text(name),), (Text(text, code=True),)) for name, text in rows)),
        Paragraph((Text("No secret, token or connection string is ever written to this report."),)),
    ])


def _verdict(analysis: Analysis, verdict: str) -> Section:
    blocks: list[Any] = [Paragraph((Text(verdict, strong=True),))]
    decided = analysis.verdict()
    if decided.detail:
        blocks += [Paragraph((Text(f"The suite did not run: {decided.reason}. Nothing below was checked in "
                                   "this run; the error:"),)), CodeBlock(decided.detail)]
    blocks.append(Table(("Result", "Scenarios"), tuple(
        ((Badge(status),), (Text(str(analysis.counts[status])),)) for status in STATUS_ORDER)))
    reasons = Counter(s.not_run_reason or "" for s in analysis.inputs.scenarios if s.status is Status.NOT_RUN)
    if reasons:
        blocks.append(Paragraph((Text("Not run, and why:", strong=True),)))
        blocks.append(Bullets(tuple((Text(f"{count} × {reason}"),) for reason, count in sorted(reasons.items()))))
    blocks.append(Paragraph((Text("Problems (each fails the generator):", strong=True),)))
    blocks.append(Bullets(tuple((Text(problem),) for problem in analysis.problems) or ((Text("none"),),)))
    if analysis.warnings:
        blocks.append(Paragraph((Text("Warnings:", strong=True),)))
        blocks.append(Bullets(tuple((Text(warning),) for warning in analysis.warnings)))
    return Section("2. Verdict and counts", blocks)


def _matrix(inputs: Inputs, analysis: Analysis) -> Section:
    rows = []
    for item in inputs.spec:
        scenarios = analysis.scenarios(item.id)
        result: list[Inline] = [Badge(aggregate([s.status for s in scenarios]))]
        not_run = [s for s in scenarios if s.status is Status.NOT_RUN]
        if not_run and len(not_run) < len(scenarios):
            result += [Break(), Text(f"{len(not_run)} of {len(scenarios)} not run")]
        rows.append((
            (Text(item.id, strong=True), Break(), Text(KIND_NAMES[item.kind])),
            (Text(item.text),),
            _scenario_list(scenarios, live=analysis.live),
            tuple(result),
            _adr_links(analysis, scenarios),
        ))
    return Section("4. Traceability matrix", [
        Paragraph((Text("Every spec item → the scenarios tagged with its id → their results → the ADRs those "
                        "scenarios are tagged with. An item with no scenario, or whose scenarios were not run, is "
                        "shown as such, never as passed."),)),
        Table(("Spec item", "Requirement", "Scenarios", "Result", "ADRs"), tuple(rows)),
    ])


def _endpoints(inputs: Inputs) -> Section:
    rows = []
    for endpoint in inputs.endpoints:
        purpose: list[Inline] = [Text(endpoint.purpose)]
        if endpoint.docs_only:
            purpose += [Break(), Text("Docs only: not served in production unless DOCS_ENABLED is set.")]
        rows.append((
            (Text(" ".join(endpoint.methods), code=True),),
            (Text(endpoint.path, code=True),),
            (Text("yes — Bearer JWT, path user must be the token's sub" if endpoint.auth_required else "no"),),
            tuple(purpose),
            (Text(", ".join(str(code) for code in endpoint.statuses) or "—"),),
        ))
    return Section("5. Endpoints", [
        Paragraph((Text("Generated from the application's route table "
                        "(backend.main.create_app with test settings; no database connection)."),)),
        Table(("Method", "Path", "Auth required", "Purpose", "Status codes"), tuple(rows)),
    ])


def _variables(inputs: Inputs) -> Section:
    rows = []
    for variable in inputs.variables:
        name: list[Inline] = [Text(variable.name, code=True)]
        for alias in variable.aliases:
            name += [Break(), Text("alias "), Text(alias, code=True)]
        rows.append((
            tuple(name),
            (Text("required" if variable.required_in_production else "optional"),),
            (Text(variable.default, code=True),),
            (Text("secret" if variable.secret else "no"),),
            (Text(variable.meaning),),
        ))
    return Section("6. Environment variables", [
        Paragraph((Text("Generated from backend.settings.Settings (its required_in_production and secret markers) "
                        "and the Procfile. Defaults are shown; values are never read or shown."),)),
        Table(("Variable", "In production", "Default", "Secret?", "Meaning"), tuple(rows)),
    ])


def _security(inputs: Inputs, analysis: Analysis) -> Section:
    rows = []
    for adr in inputs.adrs:
        if not adr.security_measure:
            continue
        scenarios = analysis.scenarios(adr.tag)
        rows.append((
            (Text(adr.security_measure),),
            (Link(f"ADR {adr.number}", analysis.adr_href(adr)),),
            _scenario_list(scenarios, live=analysis.live),
            (Badge(aggregate([s.status for s in scenarios])),),
        ))
    return Section("7. Security measures", [
        Paragraph((Text("Each measure as its ADR states it (front matter security-measure), evidenced by the "
                        "scenarios tagged with that ADR."),)),
        Table(("Measure", "Decided by", "Evidence (scenarios)", "Result"), tuple(rows)),
    ])


def _decisions(inputs: Inputs, analysis: Analysis) -> Section:
    rows = []
    for adr in inputs.adrs:
        scenarios = analysis.scenarios(adr.tag)
        rows.append((
            (Link(f"ADR {adr.number}", analysis.adr_href(adr)),),
            (Text(adr.title),),
            (Text(adr.status), Break(), Text(adr.date)),
            _scenario_list(scenarios, live=analysis.live),
            (Badge(aggregate([s.status for s in scenarios])),),
            _confirmed(analysis.confirmation(adr)),
        ))
    return Section("8. Decisions", [
        Paragraph((Text("The ADR index with status and the scenarios (tagged @adr-NNNN) that confirm each. An ADR "
                        "is confirmed in this run only by a scenario that passed having exercised what the ADR "
                        "decides (front matter confirmed-when, checked against reports/run.json)."),)),
        Table(("ADR", "Decision", "Status / date", "Scenarios", "Result", "Confirmed in this run"), tuple(rows)),
    ])


def _confirmed(confirmation: Confirmation) -> tuple[Inline, ...]:
    return (Text("yes" if confirmation.confirmed else "not confirmed in this run", strong=True),
            Text(f" — {confirmation.why}"))


def _failures(inputs: Inputs) -> Section:
    blocks: list[Any] = []
    for scenario in inputs.scenarios:
        if scenario.status not in {Status.FAILED, Status.ERRORED}:
            continue
        blocks.append(Paragraph((Badge(scenario.status), Text(" "), Text(f"{scenario.feature} › {scenario.name}",
                                 strong=True), Text(" "), Text(scenario.location, code=True))))
        for failure in scenario.failures:
            blocks.append(Paragraph((Text(failure.status.value), Text(" at "), Text(failure.step, code=True))))
            message = failure.message
            if len(message) > MAX_MESSAGE_CHARS:
                message = message[:MAX_MESSAGE_CHARS] + "\n… (truncated)"
            blocks.append(CodeBlock(message))
    if not blocks:
        blocks.append(Paragraph((Text("No failed or errored steps."),)))
    return Section("9. Failures", blocks)


# ------------------------------------------------------------------------------------------------- helpers


def _scenario_list(scenarios: list[Scenario], *, live: bool) -> tuple[Inline, ...]:
    if not scenarios:
        return (Badge(Status.NO_SCENARIO),)
    inlines: list[Inline] = []
    for scenario in scenarios:
        if inlines:
            inlines.append(Break())
        inlines += [Badge(scenario.status), Text(" "), Text(scenario.name), Text(" "),
                    Text(scenario.location, code=True)]
        if scenario.status is Status.NOT_RUN and scenario.not_run_reason:
            inlines += [Text(" — "), Text(scenario.not_run_reason)]
        elif live and CHECKOUT_TAG in scenario.tags:
            inlines += [Text(" — inspects this checkout, not the deployment")]
    return tuple(inlines)


def _adr_links(analysis: Analysis, scenarios: list[Scenario]) -> tuple[Inline, ...]:
    numbers = sorted({n for scenario in scenarios for tag in scenario.tags if (n := adr_number(tag))})
    inlines: list[Inline] = []
    for number in numbers:
        if inlines:
            inlines.append(Text(", "))
        adr = analysis.adrs.get(number)
        inlines.append(Link(f"ADR {number}", analysis.adr_href(adr)) if adr else Text(f"ADR {number} (missing)"))
    return tuple(inlines) or (Text("—"),)
