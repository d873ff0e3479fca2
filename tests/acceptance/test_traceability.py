"""The spec ↔ Gherkin traceability check passes on the repository, and fails on each kind of drift.

The checker (audit/traceability.py, also `python -m audit.traceability`) is tested on mutated
copies of the real spec and features: a check that cannot fail proves nothing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from audit import traceability
from audit.adrs import load_adrs
from audit.features import read_features
from audit.spec import parse_spec

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def copies(tmp_path: Path) -> tuple[Path, Path]:
    spec = tmp_path / "spec.md"
    shutil.copy(traceability.SPEC, spec)
    features = tmp_path / "features"
    shutil.copytree(traceability.FEATURES, features)
    return spec, features


def problems(spec: Path, features: Path) -> list[str]:
    return traceability.check(parse_spec(spec), read_features(features), load_adrs(traceability.ADR_DIR)[0])


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"mutation target {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_repository_traces_the_spec() -> None:
    assert problems(traceability.SPEC, traceability.FEATURES) == []


def test_the_spec_parses_into_what_it_says() -> None:
    spec = parse_spec(traceability.SPEC)
    ids = {kind: [item.id for item in spec if item.kind == kind] for kind in ("US", "FR", "SC", "EC")}
    assert ids["US"] == ["US1.1", "US1.2", "US1.3", "US2.1", "US2.2", "US2.3", "US3.1", "US3.2"]
    assert ids["FR"] == [f"FR-00{n}" for n in range(1, 8)]
    assert ids["SC"] == [f"SC-00{n}" for n in range(1, 6)]
    assert ids["EC"] == ["EC1", "EC2", "EC3"]
    by_id = {item.id: item for item in spec}
    assert by_id["US2.1"].clauses == {
        "given": "the live Railway URL",
        "when": "a deep-health check is requested at `/health`",
        "then": "the system returns a `200 OK` status only if the Neon database connection is active and responsive",
    }
    assert by_id["US3.2"].priority == "P3"


def test_a_removed_scenario_fails(copies: tuple[Path, Path]) -> None:
    spec, features = copies
    feature = features / "us2_automated_production_verification.feature"
    text = feature.read_text(encoding="utf-8")
    start = text.index("  @US2.2")
    end = text.index("  @US2.3")
    feature.write_text(text[:start] + text[end:], encoding="utf-8")
    assert "US2.2: spec acceptance scenario has no Gherkin scenario" in problems(spec, features)


def test_a_duplicated_scenario_fails(copies: tuple[Path, Path]) -> None:
    spec, features = copies
    feature = features / "us1_secure_production_infrastructure.feature"
    text = feature.read_text(encoding="utf-8")
    twin = text[text.index("  @US1.3"):]
    feature.write_text(text + "\n" + twin.replace("Scenario: ", "Scenario: twin of "), encoding="utf-8")
    found = problems(spec, features)
    assert any(p.startswith("US1.3: spec acceptance scenario has 2 Gherkin scenarios") for p in found), found


@pytest.mark.parametrize(("old", "new", "spec_id"), [
    ("Then it binds to the dynamic `PORT` provided by the platform", "Then it binds to the `PORT` of the platform",
     "US1.1"),
    ("When a request is made from a non-Vercel domain", "When a request is made from another domain", "US2.2"),
    ("And returns unauthorized/not-found", "And returns not-found", "US2.3"),
    ("Given a valid JWT token from another user", "Given a JWT token from another user", "US2.3"),
])
def test_reworded_step_fails(copies: tuple[Path, Path], old: str, new: str, spec_id: str) -> None:
    spec, features = copies
    for path in features.glob("*.feature"):
        if old in path.read_text(encoding="utf-8"):
            edit(path, old, new)
    found = problems(spec, features)
    assert any(p.startswith(f"{spec_id}: wording drift") for p in found), found


def test_a_reworded_spec_fails_too(copies: tuple[Path, Path]) -> None:
    spec, features = copies
    edit(spec, "**When** the agent finishes", "**When** the agent has finished")
    assert any(p.startswith("US3.2: wording drift in 'When'") for p in problems(spec, features))


@pytest.mark.parametrize("bogus", ["@US4.1", "@FR-008", "@SC-009", "@EC7", "@adr-9999", "@P9", "@smoke"])
def test_a_bogus_id_fails(copies: tuple[Path, Path], bogus: str) -> None:
    spec, features = copies
    edit(features / "edge_cases.feature", "  @EC2 @local", f"  @EC2 @local {bogus}")
    found = problems(spec, features)
    assert any(bogus in p for p in found), found


def test_an_unevidenced_requirement_fails(copies: tuple[Path, Path]) -> None:
    spec, features = copies
    edit(features / "verification_suite.feature", "@FR-007 @adr-0013", "@SC-004 @adr-0013")
    assert "FR-007: evidenced by no scenario" in problems(spec, features)


def test_a_new_requirement_in_the_spec_fails(copies: tuple[Path, Path]) -> None:
    spec, features = copies
    edit(spec, "- **FR-007**:", "- **FR-008**: System MUST do something new.\n- **FR-007**:")
    assert "FR-008: evidenced by no scenario" in problems(spec, features)


def test_a_scenario_tracing_nothing_fails(copies: tuple[Path, Path]) -> None:
    spec, features = copies
    edit(features / "production_hardening.feature", "  @FR-002 @adr-0001", "  @adr-0001")
    found = problems(spec, features)
    assert any("evidences no spec item" in p for p in found), found


def test_a_missing_priority_tag_fails(copies: tuple[Path, Path]) -> None:
    spec, features = copies
    edit(features / "us3_architectural_transparency.feature", "@US3.1 @P3", "@US3.1 @P1")
    found = problems(spec, features)
    assert any("lacks its priority tag @P3" in p for p in found), found


def test_the_command_exits_non_zero_on_drift(copies: tuple[Path, Path]) -> None:
    spec, features = copies
    ok = subprocess.run([sys.executable, "-m", "audit.traceability"], cwd=ROOT, capture_output=True,
                        text=True, check=False)
    assert ok.returncode == 0, ok.stdout
    assert re.search(r"traceability: OK — 8 acceptance scenarios", ok.stdout)
    (features / "us3_architectural_transparency.feature").unlink()
    failed = subprocess.run([sys.executable, "-m", "audit.traceability", str(spec), str(features)],
                            cwd=ROOT, capture_output=True, text=True, check=False)
    assert failed.returncode == 1
    assert "US3.1: spec acceptance scenario has no Gherkin scenario" in failed.stdout
