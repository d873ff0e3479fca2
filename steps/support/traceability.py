"""Spec ↔ Gherkin traceability: every acceptance scenario of the spec has exactly one Scenario, in the spec's words;
every FR, SC and edge case is evidenced; no scenario carries an id the spec does not have.

Run it:  python -m steps.support.traceability   (exit 1 and one line per problem; also a pytest test in
tests/acceptance/). The spec (specs/004-backend-deployment/spec.md) is the source of truth.

Wording rule: for each of the spec's Given/When/Then clauses, the scenario's step of that kind, joined with the
`And` steps that follow it by " and ", must reproduce the clause (whitespace aside). `And` steps after the clause
is complete are extra checks and are allowed.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "specs" / "004-backend-deployment" / "spec.md"
FEATURES = ROOT / "features"
ADR_DIR = ROOT / "history" / "adr"

KNOWN_MARKERS = {"local", "checkout"}  # tags that are not ids (@checkout: reads the repository, not the target)
ID_TAG = re.compile(r"^(US\d+\.\d+|EC\d+|FR-\d{3}|SC-\d{3}|P\d+|adr-\d{4})$")


@dataclass(frozen=True)
class SpecScenario:
    id: str  # US1.2
    priority: str  # P1
    clauses: dict[str, str]  # given/when/then → the spec's words


@dataclass
class Spec:
    scenarios: dict[str, SpecScenario] = field(default_factory=dict)
    requirements: list[str] = field(default_factory=list)  # FR-001 …
    criteria: list[str] = field(default_factory=list)  # SC-001 …
    edge_cases: dict[str, str] = field(default_factory=dict)  # EC1 → title

    @property
    def ids(self) -> set[str]:
        priorities = {scenario.priority for scenario in self.scenarios.values()}
        return {*self.scenarios, *self.requirements, *self.criteria, *self.edge_cases, *priorities}


@dataclass(frozen=True)
class GherkinScenario:
    name: str
    location: str
    tags: tuple[str, ...]
    steps: tuple[tuple[str, str], ...]  # (given|when|then, text) with `And`/`But` resolved to the kind before


def normalize(text: str) -> str:
    return " ".join(text.replace("**", "").split()).strip().rstrip(".").strip()


def parse_spec(path: Path = SPEC) -> Spec:
    text = path.read_text(encoding="utf-8")
    spec = Spec()
    stories = re.split(r"^### User Story (\d+) - .*?\(Priority: (P\d+)\)\s*$", text, flags=re.M)
    for index in range(1, len(stories), 3):
        story, priority, body = stories[index], stories[index + 1], stories[index + 2]
        body = body.split("\n### ", 1)[0].split("\n## ", 1)[0]
        for number, line in re.findall(r"^(\d+)\.\s+(\*\*Given\*\*.*)$", body, flags=re.M):
            parts = re.split(r"\*\*(Given|When|Then)\*\*", line)
            clauses = {parts[i].lower(): normalize(parts[i + 1]).rstrip(",").strip() for i in range(1, len(parts), 2)}
            spec.scenarios[f"US{story}.{number}"] = SpecScenario(f"US{story}.{number}", priority, clauses)
    spec.requirements = re.findall(r"^- \*\*(FR-\d{3})\*\*:", text, flags=re.M)
    spec.criteria = re.findall(r"^- \*\*(SC-\d{3})\*\*:", text, flags=re.M)
    edge_section = text.split("### Edge Cases", 1)[1].split("\n## ", 1)[0] if "### Edge Cases" in text else ""
    for index, title in enumerate(re.findall(r"^- \*\*(.+?)\*\*:", edge_section, flags=re.M), 1):
        spec.edge_cases[f"EC{index}"] = title
    return spec


def parse_features(folder: Path = FEATURES) -> list[GherkinScenario]:
    from behave.parser import parse_file

    found = []
    for path in sorted(folder.rglob("*.feature")):
        feature = parse_file(str(path))
        if feature is None:
            continue
        for scenario in feature.walk_scenarios():
            steps = tuple((step.step_type, normalize(step.name)) for step in scenario.steps)
            tags = tuple(dict.fromkeys([*feature.tags, *scenario.tags]))
            found.append(GherkinScenario(scenario.name, f"{path.relative_to(folder.parent)}:{scenario.line}",
                                         tuple(str(tag) for tag in tags), steps))
    return found


def wording_problems(spec_scenario: SpecScenario, scenario: GherkinScenario) -> list[str]:
    problems = []
    groups: dict[str, list[list[str]]] = {}
    previous_kind = None
    for kind, text in scenario.steps:
        if kind != previous_kind:
            groups.setdefault(kind, []).append([])
        groups[kind][-1].append(text)
        previous_kind = kind
    for kind, clause in spec_scenario.clauses.items():
        candidates = groups.get(kind, [])
        joined = [" and ".join(group[:count]) for group in candidates for count in range(1, len(group) + 1)]
        if clause not in joined:
            shown = " | ".join(" / ".join(group) for group in candidates) or "(none)"
            problems.append(f"{spec_scenario.id}: wording drift in '{kind.capitalize()}' at {scenario.location}: "
                            f"spec says {clause!r}; scenario has {shown!r}")
    return problems


def check(spec: Spec, scenarios: Iterable[GherkinScenario], adr_dir: Path | None = ADR_DIR) -> list[str]:
    """Every traceability problem; empty when the features trace the spec exactly."""
    scenarios = list(scenarios)
    problems: list[str] = []
    known = spec.ids
    for scenario in scenarios:
        ids = [tag for tag in scenario.tags if ID_TAG.match(tag)]
        unknown = [tag for tag in scenario.tags if tag not in KNOWN_MARKERS and not ID_TAG.match(tag)]
        problems += [f"{scenario.location}: tag @{tag} is neither a spec id nor a known marker" for tag in unknown]
        for tag in ids:
            if tag.startswith("adr-"):
                if adr_dir is not None and not list(adr_dir.glob(f"{tag[4:]}-*.md")):
                    problems.append(f"{scenario.location}: @{tag} names an ADR that does not exist in {adr_dir.name}/")
            elif tag not in known:
                problems.append(f"{scenario.location}: @{tag} is not an id of the spec")
        if not [tag for tag in ids if not tag.startswith(("adr-", "P"))]:
            problems.append(f"{scenario.location}: scenario '{scenario.name}' evidences no spec item (US/EC/FR/SC tag)")

    for spec_id, spec_scenario in spec.scenarios.items():
        twins = [scenario for scenario in scenarios if spec_id in scenario.tags]
        if not twins:
            problems.append(f"{spec_id}: spec acceptance scenario has no Gherkin scenario")
        elif len(twins) > 1:
            problems.append(f"{spec_id}: spec acceptance scenario has {len(twins)} Gherkin scenarios "
                            f"({', '.join(twin.location for twin in twins)}); exactly one allowed")
        for twin in twins:
            problems += wording_problems(spec_scenario, twin)
            if spec_scenario.priority not in twin.tags:
                problems.append(f"{spec_id}: {twin.location} lacks its priority tag @{spec_scenario.priority}")
    for item in [*spec.requirements, *spec.criteria, *spec.edge_cases]:
        if not any(item in scenario.tags for scenario in scenarios):
            problems.append(f"{item}: evidenced by no scenario")
    return problems


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    spec_path = Path(argv[0]) if argv else SPEC
    features = Path(argv[1]) if len(argv) > 1 else FEATURES
    spec, scenarios = parse_spec(spec_path), parse_features(features)
    problems = check(spec, scenarios)
    if problems:
        print(f"traceability: {len(problems)} problem(s) between {spec_path} and {features}/:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print(f"traceability: OK — {len(spec.scenarios)} acceptance scenarios, {len(spec.requirements)} FR, "
          f"{len(spec.criteria)} SC, {len(spec.edge_cases)} edge cases traced by {len(scenarios)} scenarios")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
