"""An ADR in MADR's own heading layout (``### Confirmation`` under ``## Decision Outcome``, as MADR's template puts
it) is read exactly like one in this project's layout (``## Confirmation``) by every consumer: the report, the US3
steps (``madr_problems``, ``citation_problems``) and the traceability check. Before ``audit.adrs`` read sections at
any level, the report found no confirmation in MADR's layout while US3.1 passed it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from audit import traceability
from audit.adrs import load_adrs
from audit.features import read_features
from audit.spec import parse_spec
from tests.audit.conftest import Project

REPO = Path(__file__).resolve().parents[2]


def to_madr_layout(text: str) -> str:
    """This project's layout → MADR template's: Confirmation becomes a subsection of Decision Outcome, and MADR's
    closing section follows."""
    start = text.index("\n## Confirmation\n")
    end = text.find("\n## ", start + 1)
    end = len(text) if end < 0 else end
    confirmation = text[start + len("\n## Confirmation\n"):end].strip("\n")
    text = text[:start] + text[end:]
    outcome = text.index("\n## Decision Outcome\n")
    after = text.find("\n## ", outcome + 1)
    after = len(text) if after < 0 else after
    return (f"{text[:after].rstrip()}\n\n### Confirmation\n\n{confirmation}\n{text[after:]}"
            "\n## More Information\n\nNothing more.\n")


def madr_copy(adr_dir: Path, target: Path) -> Path:
    shutil.copytree(adr_dir, target)
    for path in target.glob("[0-9]*.md"):
        path.write_text(to_madr_layout(path.read_text(encoding="utf-8")), encoding="utf-8")
    return target


def read(adr_dir: Path) -> list[tuple]:
    """What the consumers read from each ADR."""
    adrs, problems = load_adrs(adr_dir)
    assert problems == []
    return [(adr.number, adr.title, adr.status, adr.security_measure, adr.conditions, adr.confirmation_tags,
             adr.madr_problems()) for adr in adrs]


def test_the_conversion_really_uses_madr_headings(tmp_path: Path) -> None:
    converted = madr_copy(REPO / "history" / "adr", tmp_path / "adr")
    for path in converted.glob("[0-9]*.md"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^## Confirmation", text, re.M)
        assert text.index("## Decision Outcome") < text.index("### Confirmation") < text.index("## More Information")


def test_the_repository_adrs_read_the_same_in_madr_layout(tmp_path: Path) -> None:
    ours = read(REPO / "history" / "adr")
    assert all(confirmation_tags for *_, confirmation_tags, _ in ours), "every ADR names confirming scenarios"
    assert read(madr_copy(REPO / "history" / "adr", tmp_path / "adr")) == ours


def test_the_traceability_check_and_the_us3_citations_read_the_same(tmp_path: Path) -> None:
    spec, scenarios = parse_spec(traceability.SPEC), read_features(traceability.FEATURES)
    ours = load_adrs(traceability.ADR_DIR)[0]
    madr = load_adrs(madr_copy(traceability.ADR_DIR, tmp_path / "adr"))[0]
    assert traceability.check(spec, scenarios, madr) == traceability.check(spec, scenarios, ours) == []
    assert traceability.citation_problems(scenarios, madr) == traceability.citation_problems(scenarios, ours) == []


def test_an_empty_madr_confirmation_is_a_problem_for_every_consumer(tmp_path: Path) -> None:
    adr_dir = madr_copy(traceability.ADR_DIR, tmp_path / "adr")
    path = next(adr_dir.glob("0009-*.md"))
    path.write_text(re.sub(r"`@[\w.-]+`", "a scenario", path.read_text(encoding="utf-8")), encoding="utf-8")
    adr = next(adr for adr in load_adrs(adr_dir)[0] if adr.number == "0009")
    assert adr.confirmation_tags == ()
    problems = traceability.citation_problems(read_features(traceability.FEATURES), load_adrs(adr_dir)[0])
    assert any(problem.startswith(f"{path.name}: its Confirmation names none") for problem in problems), problems


def test_the_report_is_the_same_in_madr_layout(green: Project, tmp_path: Path, monkeypatch, capsys) -> None:
    def report() -> str:
        assert green.generate(monkeypatch, capsys)[0] == 0
        return re.sub(r"Report generated \(UTC\).*", "", green.markdown)

    claimed = green.adr_path("0002")  # its Confirmation claims an item none of its scenarios carries: a warning
    claimed.write_text(claimed.read_text(encoding="utf-8").replace("* `@US1.1`", "* `@US1.1`, `@SC-005`"),
                       encoding="utf-8")
    ours = report()
    assert "lists @SC-005 under Confirmation, but no scenario tagged @adr-0002 carries it" in ours
    project_layout = shutil.move(green.adr_dir, tmp_path / "project-layout")
    madr_copy(Path(project_layout), green.adr_dir)
    assert report() == ours
