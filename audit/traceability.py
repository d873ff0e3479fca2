"""Spec ↔ scenario ↔ ADR traceability: the one definition of the rules tying scenario tags to the spec and the
ADRs, called by the audit report (``audit.analysis``), the US3 steps (``steps/repository_steps.py``) and the pytest
check (``tests/acceptance/test_traceability.py``).

Run it:  python -m audit.traceability [SPEC FEATURES]   (exit 1 and one line per problem).

The rules:
- a tag is a spec id (``audit.spec.SPEC_ID``), a priority (P1…), an ADR (adr-NNNN) or a known marker, and names
  something that exists (``tag_problem``);
- every acceptance scenario of the spec has exactly one scenario, tagged with its priority, in the spec's words;
  every FR, SC and edge case is evidenced by a scenario; every scenario evidences a spec item (``check``);
- an ADR that scenarios cite names, under Confirmation, a spec item one of them carries (``citation_problems``),
  and every spec item its Confirmation claims is carried by a scenario tagged with it (``unclaimed``).

Wording rule: for each of the spec's Given/When/Then clauses, the scenario's step of that kind, joined with the
`And` steps that follow it by " and ", must reproduce the clause (whitespace aside). `And` steps after the clause
is complete are extra checks and are allowed.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

from audit.adrs import Adr, adr_number, load_adrs
from audit.features import FeatureScenario, read_features
from audit.spec import PRIORITY, SPEC_ID, SpecItem, parse_spec

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "specs" / "004-backend-deployment" / "spec.md"
FEATURES = ROOT / "features"
ADR_DIR = ROOT / "history" / "adr"
LOCAL_TAG = "local"  # needs control of the process or the database: not run against a live URL
CHECKOUT_TAG = "checkout"  # reads the repository checkout, not the target
MARKERS = frozenset({LOCAL_TAG, CHECKOUT_TAG})  # the tags that are not ids


def known_ids(spec: Sequence[SpecItem]) -> set[str]:
    """Every id a scenario may carry: the items' and their priorities."""
    return {item.id for item in spec} | {item.priority for item in spec if item.priority}


def tag_problem(tag: str, known: Collection[str], adrs: Collection[str]) -> str | None:
    """Why ``tag`` names nothing (``adrs``: the ADR numbers that exist), or None when it names something."""
    if (number := adr_number(tag)) is not None:
        return None if number in adrs else "names an ADR that does not exist"
    if SPEC_ID.match(tag) or PRIORITY.match(tag):
        return None if tag in known else "is not an item of the spec"
    return None if tag in MARKERS else "is neither a spec id nor a known marker"


def spec_ids(tags: Iterable[str]) -> set[str]:
    return {tag for tag in tags if SPEC_ID.match(tag)}


def check(spec: Sequence[SpecItem], scenarios: Sequence[FeatureScenario], adrs: Sequence[Adr]) -> list[str]:
    """Every traceability problem; empty when the features trace the spec exactly."""
    problems: list[str] = []
    known, numbers = known_ids(spec), {adr.number for adr in adrs}
    for scenario in scenarios:
        for tag in sorted(scenario.tags):
            if reason := tag_problem(tag, known, numbers):
                problems.append(f"{scenario.location}: @{tag} {reason}")
        if not spec_ids(scenario.tags):
            problems.append(f"{scenario.location}: scenario '{scenario.name}' evidences no spec item (US/EC/FR/SC tag)")
    for item in spec:
        twins = [scenario for scenario in scenarios if item.id in scenario.tags]
        if item.kind != "US":
            problems += [] if twins else [f"{item.id}: evidenced by no scenario"]
            continue
        if not twins:
            problems.append(f"{item.id}: spec acceptance scenario has no Gherkin scenario")
        elif len(twins) > 1:
            problems.append(f"{item.id}: spec acceptance scenario has {len(twins)} Gherkin scenarios "
                            f"({', '.join(twin.location for twin in twins)}); exactly one allowed")
        for twin in twins:
            problems += wording_problems(item, twin)
            if item.priority and item.priority not in twin.tags:
                problems.append(f"{item.id}: {twin.location} lacks its priority tag @{item.priority}")
    return problems


def wording_problems(item: SpecItem, scenario: FeatureScenario) -> list[str]:
    problems = []
    groups: dict[str, list[list[str]]] = {}
    previous_kind = None
    for kind, text in scenario.steps:
        if kind != previous_kind:
            groups.setdefault(kind, []).append([])
        groups[kind][-1].append(text)
        previous_kind = kind
    for kind, clause in item.clauses.items():
        candidates = groups.get(kind, [])
        joined = [" and ".join(group[:count]) for group in candidates for count in range(1, len(group) + 1)]
        if clause not in joined:
            shown = " | ".join(" / ".join(group) for group in candidates) or "(none)"
            problems.append(f"{item.id}: wording drift in '{kind.capitalize()}' at {scenario.location}: "
                            f"spec says {clause!r}; scenario has {shown!r}")
    return problems


def citation_problems(scenarios: Iterable[FeatureScenario], adrs: Sequence[Adr]) -> list[str]:
    """Every ADR a scenario cites exists, and its Confirmation names a spec item of a scenario citing it."""
    citations: dict[str, set[str]] = {}
    for scenario in scenarios:
        for number in filter(None, map(adr_number, scenario.tags)):
            citations.setdefault(number, set()).update(spec_ids(scenario.tags))
    by_number = {adr.number: adr for adr in adrs}
    problems = []
    for number, ids in sorted(citations.items()):
        adr = by_number.get(number)
        if adr is None:
            problems.append(f"@adr-{number} is cited by {sorted(ids)} but history/adr/{number}-*.md does not exist")
        elif not ids & set(adr.confirmation_tags):
            problems.append(f"{adr.path.name}: its Confirmation names none of the scenarios citing it {sorted(ids)}")
    return problems


def unclaimed(adr: Adr, tags_of_its_scenarios: Iterable[str]) -> list[str]:
    """Spec items the ADR's Confirmation lists that no scenario tagged with the ADR carries."""
    return sorted(spec_ids(adr.confirmation_tags) - set(tags_of_its_scenarios))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    spec_path = Path(argv[0]) if argv else SPEC
    features = Path(argv[1]) if len(argv) > 1 else FEATURES
    spec, scenarios = parse_spec(spec_path), read_features(features)
    problems = check(spec, scenarios, load_adrs(ADR_DIR)[0])
    if problems:
        print(f"traceability: {len(problems)} problem(s) between {spec_path} and {features}/:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    count = {kind: sum(item.kind == kind for item in spec) for kind in ("US", "FR", "SC", "EC")}
    print(f"traceability: OK — {count['US']} acceptance scenarios, {count['FR']} FR, {count['SC']} SC, "
          f"{count['EC']} edge cases traced by {len(scenarios)} scenarios")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
