"""Recorded behave results for the audit generator's tests.

Nothing here is typed-in JSON: each session writes two tiny behave projects (a green one and a mixed one with
every outcome behave has: passed, failed, error, hook error, skipped, outline rows, rule and feature-level tags,
a tag naming a missing ADR), runs the pinned behave on them with its JSON and JUnit formatters, and hands the
recorded reports plus a small spec and ADR folder to the tests. Secrets and tokens in the fixtures are generated
at run time.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from audit.__main__ import main
from tests.audit.fixture_text import ADRS, ENVIRONMENT, GREEN, MIXED, NOT_RUN_REASON, SPEC, STEPS

REPO = Path(__file__).resolve().parents[2]

@dataclass
class Project:
    """A repository-shaped folder: reports/, features/, history/adr/, spec.md; the report goes to reports/."""

    root: Path
    secret: str

    @property
    def adr_dir(self) -> Path:
        return self.root / "history" / "adr"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    def arguments(self) -> list[str]:
        return ["--root", str(self.root), "--spec", str(self.root / "spec.md"), "--adr-dir", str(self.adr_dir)]

    def generate(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
        """Run the generator in-process with this project's secret in the environment (to prove redaction)."""
        monkeypatch.setenv("BETTER_AUTH_SECRET", self.secret)
        code = main(self.arguments())
        return code, capsys.readouterr().out

    @property
    def markdown(self) -> str:
        return (self.reports / "REPORT.md").read_text(encoding="utf-8")

    @property
    def html(self) -> str:
        return (self.reports / "report.html").read_text(encoding="utf-8")

    def edit_run(self, **changes: object) -> dict:
        """Change reports/run.json as a test needs (a stale record, a failed set-up, what a scenario exercised)."""
        path = self.reports / "run.json"
        run = {**json.loads(path.read_text(encoding="utf-8")), **changes}
        path.write_text(json.dumps(run), encoding="utf-8")
        return run

    def adr_path(self, prefix: str) -> Path:
        return next(self.adr_dir.glob(f"{prefix}-*.md"))


def write_adrs(adr_dir: Path) -> None:
    adr_dir.mkdir(parents=True)
    for name, (status, title, measure) in ADRS.items():
        front = f"---\nstatus: {status}\ndate: 2026-11-25\n"
        if measure:
            front += f"security-measure: {measure}\n"
        body = (f"{front}---\n\n# {name[:4]}. {title}\n\n## Context and Problem Statement\n\nWhy.\n\n"
                f"## Decision Outcome\n\nWhat; see [the index](README.md).\n\n## Confirmation\n\n* `@US1.1`\n")
        (adr_dir / name).write_text(body, encoding="utf-8")
    rows = "\n".join(f"| [{name[:4]}]({name}) | {status} |" for name, (status, _, _) in ADRS.items())
    (adr_dir / "README.md").write_text(f"# ADRs\n\n| ADR | Status |\n|---|---|\n{rows}\n", encoding="utf-8")


def record(root: Path, feature: str, secret: str) -> None:
    """Run the pinned behave on ``feature`` exactly as the suite does: JSON to reports/, JUnit to reports/junit/."""
    (root / "features" / "steps").mkdir(parents=True)
    (root / "features" / "fixture.feature").write_text(feature, encoding="utf-8")
    (root / "features" / "steps" / "steps.py").write_text(STEPS, encoding="utf-8")
    (root / "features" / "environment.py").write_text(ENVIRONMENT, encoding="utf-8")
    run = {"target": "https://fixture.up.railway.app", "mode": "live", "version": "fixture-sha",
           "started_at": "2026-11-25T18:00:00Z", "wall_seconds": 1.5, "suite_commit": "0123abcd",
           "behave_version": "1.3.3", "database_path": None, "not_run_reason": {"@local": NOT_RUN_REASON},
           "health_latency_ms": 4.2, "stopped": None}
    environment = {**os.environ, "FIXTURE_MODE": "live", "BETTER_AUTH_SECRET": secret, "FIXTURE_RUN": json.dumps(run)}
    completed = subprocess.run(
        [sys.executable, "-m", "behave", "--no-capture", "-f", "json", "-o", "reports/behave.json",
         "--junit", "--junit-directory", "reports/junit", "-f", "plain", "-o", "reports/plain.txt"],
        cwd=root, env=environment, capture_output=True, text=True, timeout=60, check=False,
    )
    assert (root / "reports" / "behave.json").exists(), completed.stdout + completed.stderr
    assert (root / "reports" / "run.json").exists(), completed.stdout + completed.stderr
    (root / "spec.md").write_text(SPEC, encoding="utf-8")
    shutil.copy(REPO / "Procfile", root / "Procfile")
    write_adrs(root / "history" / "adr")


@pytest.fixture(scope="session")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Project]:
    projects = {}
    for name, feature in (("green", GREEN), ("mixed", MIXED)):
        root = tmp_path_factory.mktemp(name)
        secret = secrets.token_urlsafe(48)
        record(root, feature, secret)
        projects[name] = Project(root, secret)
    return projects


def _copy(project: Project, tmp_path: Path) -> Project:
    """A private copy, so a test may delete or break files without affecting the others."""
    root = tmp_path / project.root.name
    shutil.copytree(project.root, root)
    return Project(root, project.secret)


@pytest.fixture
def green(recorded: dict[str, Project], tmp_path: Path) -> Project:
    return _copy(recorded["green"], tmp_path)


@pytest.fixture
def mixed(recorded: dict[str, Project], tmp_path: Path) -> Project:
    return _copy(recorded["mixed"], tmp_path)
