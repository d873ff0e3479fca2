"""The decision records in ``history/adr/``: number, title, status, and what they say confirms them.

Format (MADR with front matter): ``NNNN-kebab-title.md`` starting with ``---`` / ``status: …`` / ``date: …`` /
optional ``security-measure: …`` / optional ``confirmed-when: fact=value[, fact=value]`` (what a confirming
scenario must have exercised in the run, see ``audit.confirmation``) / ``---``, then ``# NNNN. Title``, and a
``## Confirmation`` section listing scenario tags such as ``@US1.1``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ADR_FILE = re.compile(r"^(\d{4})-[a-z0-9]+(?:-[a-z0-9]+)*\.md$")
ADR_TAG = re.compile(r"^adr-(\d{4})$")
TITLE = re.compile(r"^#\s+(?:\d{4}\.\s*)?(.+?)\s*$", re.MULTILINE)
CONFIRMATION_TAG = re.compile(r"`@([A-Za-z][\w.-]*)`")
STATUSES = ("proposed", "accepted", "deprecated", "superseded")


@dataclass(frozen=True)
class Adr:
    number: str
    path: Path
    title: str
    status: str
    date: str
    security_measure: str | None
    confirmation_tags: tuple[str, ...]
    conditions: dict[str, str] = field(default_factory=dict)  # confirmed-when: fact → value

    @property
    def tag(self) -> str:
        return f"adr-{self.number}"

    @property
    def is_accepted(self) -> bool:
        return self.status.lower() == "accepted"


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
            security_measure=front.get("security-measure") or None,
            confirmation_tags=tuple(dict.fromkeys(CONFIRMATION_TAG.findall(section(text, "Confirmation")))),
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
    """``key: value`` lines between the leading ``---`` fences (a deliberately tiny subset of YAML)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}
    values: dict[str, str] = {}
    for line in lines[1:]:
        if line.strip() == "---":
            return values
        key, _, value = line.partition(":")
        if value:
            values[key.strip().lower()] = value.strip()
    return {}


def section(text: str, heading: str) -> str:
    """The body of ``## heading`` up to the next level-2 heading (empty when absent)."""
    match = re.search(rf"^##\s+{re.escape(heading)}\s*$(.*?)(?=^##\s|\Z)", text, re.MULTILINE | re.DOTALL)
    return match.group(1) if match else ""


def adr_number(tag: str) -> str | None:
    match = ADR_TAG.match(tag)
    return match.group(1) if match else None
