"""The decision records in ``history/adr/``: the only reader of them (the report, the US3 steps and the
traceability check all call ``load_adrs``).

Format (MADR with front matter): ``NNNN-kebab-title.md`` starting with ``---`` / ``status: …`` / ``date: …`` /
optional ``security-measure: …`` / optional ``confirmed-when: fact=value[, fact=value]`` (what a confirming
scenario must have exercised in the run, see ``audit.confirmation``) / ``---``, then ``# NNNN. Title`` and MADR's
sections. A section is found by its title at any heading level and runs to the next heading of the same or a
higher level, so MADR's own template (``### Consequences`` and ``### Confirmation`` under ``## Decision Outcome``)
and this project's layout (``## Confirmation``) read the same. Confirmation lists scenario tags such as ``@US1.1``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ADR_FILE = re.compile(r"^(\d{4})-[a-z0-9]+(?:-[a-z0-9]+)*\.md$")
ADR_TAG = re.compile(r"^adr-(\d{4})$")
TITLE = re.compile(r"^#\s+(?:\d{4}\.\s*)?(.+?)\s*$", re.MULTILINE)
HEADING = re.compile(r"^(#{2,4})\s+(.+?)\s*$")
CONFIRMATION_TAG = re.compile(r"`@([A-Za-z][\w.-]*)`")
STATUSES = ("proposed", "accepted", "deprecated", "superseded")
# MADR sections every ADR must carry (issue 4), each with the headings that satisfy it.
MADR_SECTIONS: dict[str, tuple[str, ...]] = {
    "context": ("context and problem statement", "context"),
    "decision": ("decision outcome", "decision"),
    "alternatives": ("considered options", "alternatives considered", "alternatives", "pros and cons of the options"),
    "consequences": ("consequences",),
    "confirmation": ("confirmation",),
}


@dataclass(frozen=True)
class Adr:
    number: str
    path: Path
    title: str
    status: str
    date: str
    security_measure: str | None
    sections: dict[str, str] = field(default_factory=dict)  # lower-cased heading → its text, subsections included
    conditions: dict[str, str] = field(default_factory=dict)  # confirmed-when: fact → value

    @property
    def tag(self) -> str:
        return f"adr-{self.number}"

    @property
    def is_accepted(self) -> bool:
        return self.status.lower() == "accepted"

    @property
    def confirmation_tags(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(CONFIRMATION_TAG.findall(self.sections.get("confirmation", ""))))

    def madr_problems(self) -> list[str]:
        """Why this ADR does not record a decision a maintainer can weigh: missing or empty MADR sections,
        consequences without both a good and a bad one, fewer than two options considered."""
        missing = [] if self.status.lower().startswith(STATUSES) else ["status"]
        missing += [name for name, headings in MADR_SECTIONS.items()
                    if not any(self.sections.get(heading, "").strip() for heading in headings)]
        problems = [f"{self.path.name}: missing or empty MADR section(s): {', '.join(missing)}"] if missing else []
        consequences = self.sections.get("consequences", "")
        good, bad = (len(re.findall(rf"^\s*[*-]\s+{word}\b", consequences, re.M)) for word in ("Good", "Bad"))
        if not good or not bad:
            problems.append(f"{self.path.name}: consequences list {good} good and {bad} bad: a trade-off needs both")
        options = re.findall(r"^\s*[*-]\s+", self.sections.get("considered options", ""), re.M)
        if len(options) < 2:
            problems.append(f"{self.path.name}: {len(options)} considered option(s): alternatives must be weighed")
        return problems


def load_adrs(directory: Path) -> tuple[list[Adr], list[str]]:
    """All ADRs sorted by number, and the problems found reading them (each naming its file)."""
    adrs: list[Adr] = []
    problems: list[str] = []
    for path in sorted(directory.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        match = ADR_FILE.match(path.name)
        if not match:
            problems.append(f"{path.name}: not named NNNN-kebab-title.md")
            continue
        text = path.read_text(encoding="utf-8")
        front = front_matter(text)
        status = front.get("status", "")
        if not status.lower().startswith(STATUSES):
            problems.append(f"{path.name}: front matter has no valid status (one of {', '.join(STATUSES)})")
        title = TITLE.search(text)
        adrs.append(Adr(
            number=match.group(1), path=path, title=title.group(1) if title else path.stem,
            status=status or "unknown", date=front.get("date", ""),
            security_measure=front.get("security-measure") or None, sections=sections(text),
            conditions=conditions(front.get("confirmed-when", ""), path.name, problems),
        ))
    numbers = [adr.number for adr in adrs]
    duplicated = sorted({number for number in numbers if numbers.count(number) > 1})
    problems += [f"ADR number {number} is used twice" for number in duplicated]
    return adrs, problems


def conditions(text: str, name: str, problems: list[str]) -> dict[str, str]:
    """``fact=value, fact=value`` → {fact: value}; a malformed pair is a problem, never silently ignored."""
    found: dict[str, str] = {}
    for pair in filter(None, (item.strip() for item in text.split(","))):
        fact, equals, value = pair.partition("=")
        if not equals or not fact.strip() or not value.strip():
            problems.append(f"{name}: confirmed-when {pair!r} is not fact=value")
            continue
        found[fact.strip()] = value.strip()
    return found


def front_matter(text: str) -> dict[str, str]:
    """``key: value`` lines between the leading ``---`` fences (a deliberately tiny subset of YAML; MADR's template
    quotes its values, so one pair of quotes is taken off)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}
    values: dict[str, str] = {}
    for line in lines[1:]:
        if line.strip() == "---":
            return values
        key, _, value = line.partition(":")
        if value:
            values[key.strip().lower()] = re.sub(r"^([\"'])(.*)\1$", r"\2", value.strip())
    return {}


def sections(text: str) -> dict[str, str]:
    """Every level-2 to level-4 section by lower-cased title: its text up to the next heading of its own level or
    a higher one (so a section holds its subsections). The first section of a title wins."""
    lines = text.splitlines()
    headings = [(index, len(match.group(1)), match.group(2).strip().lower())
                for index, line in enumerate(lines) if (match := HEADING.match(line))]
    found: dict[str, str] = {}
    for position, (index, level, title) in enumerate(headings):
        end = next((other for other, other_level, _ in headings[position + 1:] if other_level <= level), len(lines))
        found.setdefault(title, "".join(line + "\n" for line in lines[index + 1:end]))
    return found


def adr_number(tag: str) -> str | None:
    match = ADR_TAG.match(tag)
    return match.group(1) if match else None
