"""The spec's traceable items: acceptance scenarios (US1.1…), FR-001…, SC-001…, edge cases (EC1…).

The only parser of specs/004-backend-deployment/spec.md. Ids are the tags scenarios carry (``@US1.1``,
``@FR-004``, ``@SC-003``, ``@EC2``). Acceptance scenarios are numbered by story and position, and keep their
**Given**/**When**/**Then** clauses (the words a scenario must reproduce, ``audit.traceability``); edge cases are
numbered by their order under "### Edge Cases".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

KIND_ORDER = ("US", "FR", "SC", "EC")
KIND_NAMES = {"US": "Acceptance scenario", "FR": "Functional requirement", "SC": "Success criterion",
              "EC": "Edge case"}
# The one spec-id pattern: any tag shaped like a spec id (a scenario carrying one the spec lacks is a problem).
SPEC_ID = re.compile(r"^(US\d+\.\d+|FR-\d{3}|SC-\d{3}|EC\d+)$")
PRIORITY = re.compile(r"^P\d+$")

STORY = re.compile(r"^###\s+User Story\s+(\d+)\s*[-–—]\s*(.+?)\s*(?:\(Priority:\s*(P\d)\))?\s*$")
NUMBERED = re.compile(r"^(\d+)\.\s+(.+)$")
REQUIREMENT = re.compile(r"^-\s+\*\*((?:FR|SC)-\d{3})\*\*:\s*(.+)$")
EDGE_CASE = re.compile(r"^-\s+\*\*(.+?)\*\*:\s*(.+)$")
CLAUSE = re.compile(r"\*\*(Given|When|Then)\*\*")


@dataclass(frozen=True)
class SpecItem:
    id: str
    kind: str
    title: str
    text: str
    priority: str | None = None
    clauses: dict[str, str] = field(default_factory=dict)  # acceptance scenarios: given/when/then → the spec's words


def parse_spec(path: Path) -> list[SpecItem]:
    """Items in spec order within each kind, kinds in KIND_ORDER."""
    items: list[SpecItem] = []
    story: tuple[str, str, str | None] | None = None
    in_scenarios = False
    in_edge_cases = False
    edge_number = 0
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#"):
            match = STORY.match(line)
            story = (match.group(1), match.group(2), match.group(3)) if match else None
            in_scenarios = False
            in_edge_cases = line.lower().startswith("### edge cases")
            continue
        if line.startswith("**Acceptance Scenarios**"):
            in_scenarios = story is not None
            continue
        if line == "---":
            in_scenarios = False
            continue
        if in_scenarios and story and (match := NUMBERED.match(line)):
            number, title, priority = story
            items.append(SpecItem(f"US{number}.{match.group(1)}", "US", f"User Story {number}: {title}",
                                  plain(match.group(2)), priority, clauses(match.group(2))))
        elif match := REQUIREMENT.match(line):
            identifier = match.group(1)
            items.append(SpecItem(identifier, identifier[:2], identifier, plain(match.group(2))))
        elif in_edge_cases and (match := EDGE_CASE.match(line)):
            edge_number += 1
            name = plain(match.group(1))
            items.append(SpecItem(f"EC{edge_number}", "EC", name, f"{name}: {plain(match.group(2))}"))
    return sorted(items, key=lambda item: KIND_ORDER.index(item.kind))


def clauses(text: str) -> dict[str, str]:
    """``**Given** a, **When** b, **Then** c.`` → {"given": "a", "when": "b", "then": "c"} in comparable words."""
    parts = CLAUSE.split(text)
    return {parts[i].lower(): words(parts[i + 1]).rstrip(",").strip() for i in range(1, len(parts), 2)}


def words(text: str) -> str:
    """Text as a scenario's step must reproduce it: bold marks, runs of white space and a final period dropped."""
    return " ".join(text.replace("**", "").split()).strip().rstrip(".").strip()


def plain(text: str) -> str:
    """Markdown emphasis and code marks removed: the report escapes and formats text itself."""
    return re.sub(r"\*\*|`", "", text).strip()
