"""The "Verification power" section says what reports/mutation.json measured, and that nothing was when it is absent."""

from __future__ import annotations

import json
from pathlib import Path

from audit.document import Paragraph, Table, Text
from audit.power import load_power, verification_power


def _texts(section: object) -> str:
    parts = []
    for block in section.blocks:  # type: ignore[attr-defined]
        groups = [block.inlines] if isinstance(block, Paragraph) else (
            [cell for row in block.rows for cell in row] if isinstance(block, Table) else [])
        parts += [inline.value for group in groups for inline in group if isinstance(inline, Text)]
    return " | ".join(parts)


def _results() -> dict:
    finding = {"scenario": "CORS admits the Vercel production origin and nothing else", "tags": ["US2.2"],
               "step": "Then CORS headers strictly deny access", "message": "origin 'null' must not be allowed"}
    return {"commit": "a" * 40, "measured_at": "2026-11-26T04:00:00+00:00", "wall_seconds": 90.0, "jobs": 3,
            "control": {"status": "passed", "passed": 14, "false_alarms": [], "problem": None},
            "faults": [
                {"name": "cors-null-origin", "class": "CORS", "description": "null allowed", "status": "caught",
                 "caught_by": [finding]},
                {"name": "health-cached", "class": "health", "description": "cached", "status": "survived",
                 "caught_by": [], "reason": "no scenario failed"},
            ]}


def test_the_section_shows_caught_over_total_by_class_with_the_catching_scenario(tmp_path: Path) -> None:
    (tmp_path / "mutation.json").write_text(json.dumps(_results()))
    text = _texts(verification_power(load_power(tmp_path), suite_commit="a" * 40))
    assert "1 / 2 faults caught" in text
    assert "aaaaaaaaaaaa" in text and "2026-11-26T04:00:00+00:00" in text
    assert "CORS admits the Vercel production origin and nothing else" in text
    assert "1 survived" in text and "0 false alarm(s)" in text


def test_without_results_the_section_says_not_measured(tmp_path: Path) -> None:
    section = verification_power(load_power(tmp_path))
    assert "Not measured" in _texts(section)


def test_a_measurement_of_another_commit_is_flagged(tmp_path: Path) -> None:
    text = _texts(verification_power(_results(), suite_commit="b" * 40))
    assert "another commit" in text
