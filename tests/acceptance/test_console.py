"""Recorded transcripts of the real suite (issue 8, items 1, 4, 11-13): what a person sees, and the verdict.

The suite and the report generator run as `make verify` runs them (``python -m behave`` then ``python -m audit``),
from a copy of this checkout committed into a fresh git repository (so the run's reports/ are the copy's and
the checkout's commit differs from the deployed one), against:
- a closed port, a live configuration missing its variables, and a rehearsal that fails to start (a hook error
  in before_all): NOT RUN, with the error, in a few lines;
- a real production deployment on loopback (the local rehearsal, started here) in *live* mode: with a wrong
  secret (NOT RUN: token rejected, one line, no scenario run), with every scenario filtered out (NOT RUN), and
  the whole live-safe set (each step printed once, no false warning, one last line per command).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from backend.local.postgres import free_port
from steps.support.repository import repository_files

REPO = Path(__file__).resolve().parents[2]
SUITE_VARIABLES = ("BASE_URL", "BETTER_AUTH_SECRET", "JWT_SECRET", "ALLOWED_ORIGIN", "REQUEST_TIMEOUT")
ORIGIN = "https://tasks-frontend.vercel.app"
STEP_LINE = re.compile(r"^\s+(Given|When|Then|And|But) ")


@dataclass
class Transcript:
    code: int
    lines: list[str]  # stdout
    errors: str  # stderr


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout's files (tracked and new, as they are now) committed into a new repository."""
    root = tmp_path_factory.mktemp("checkout")
    for name in repository_files():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, root / name)
    git = ["git", "-c", "user.name=suite", "-c", "user.email=suite@example.invalid"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "transcript fixture"], cwd=root, check=True)
    return root


def run(checkout: Path, module: str, *arguments: str, **variables: str) -> Transcript:
    environment = {key: value for key, value in os.environ.items() if key not in SUITE_VARIABLES}
    completed = subprocess.run([sys.executable, "-m", module, *arguments], cwd=checkout,
                               env={**environment, **variables}, capture_output=True, text=True, timeout=600,
                               check=False)
    return Transcript(completed.returncode, completed.stdout.splitlines(), completed.stderr)


def verify(checkout: Path, *arguments: str, **variables: str) -> tuple[Transcript, Transcript]:
    """`make verify`: the suite, then the report."""
    return run(checkout, "behave", *arguments, **variables), run(checkout, "audit")


def assert_not_run(suite: Transcript, report: Transcript, checkout: Path, reason: str) -> None:
    assert suite.code != 0, suite.lines
    assert "ABORTED: By user." not in "\n".join(suite.lines) + suite.errors
    assert report.code == 2, report.lines
    assert len(report.lines) == 1
    assert report.lines[0].startswith(f"VERDICT: NOT RUN: {reason} (")
    assert re.search(r" — 17 scenarios: 0 passed, 0 failed, 0 errored, 17 not run — wall time [\d.]+ s — "
                     r"report: reports/REPORT.md$", report.lines[0]), report.lines[0]
    html = (checkout / "reports" / "report.html").read_text()
    assert 'class="verdict not-run"' in html and "verdict passed" not in html


def test_a_closed_port_is_not_run(checkout: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    suite, report = verify(checkout, BASE_URL=url, BETTER_AUTH_SECRET=secrets.token_urlsafe(40),
                           ALLOWED_ORIGIN=ORIGIN)
    assert suite.lines[1:] == [
        f"HOOK-ERROR in before_all: SuiteNotRun: target unreachable: GET /health: {url} unreachable "
        "(ConnectError: [Errno 111] Connection refused)",
        suite.lines[-1],
    ]
    assert re.fullmatch(r"acceptance suite NOT RUN: target unreachable — no scenario executed; wall time "
                        r"[\d.]+ s; record: reports/run.json", suite.lines[-1]), suite.lines[-1]
    assert_not_run(suite, report, checkout, "target unreachable")
    assert "Connection refused" in report.lines[0]


def test_a_configuration_error_is_not_run(checkout: Path) -> None:
    suite, report = verify(checkout, BASE_URL="https://tasks.up.railway.app")
    output = "\n".join(suite.lines)
    assert "SuiteNotRun: configuration error: live mode is not configured" in output
    assert "BETTER_AUTH_SECRET: required in live mode" in output and "ALLOWED_ORIGIN: required" in output
    assert not [line for line in suite.lines if STEP_LINE.match(line)], "no scenario ran"
    assert_not_run(suite, report, checkout, "configuration error")


def test_a_rehearsal_that_fails_to_start_is_not_run(checkout: Path) -> None:
    """A hook error in before_all: production refuses a plain-http allowed origin, so the rehearsal never serves."""
    suite, report = verify(checkout, ALLOWED_ORIGIN="http://tasks-frontend.example")
    output = "\n".join(suite.lines)
    assert "HOOK-ERROR in before_all: SuiteNotRun: rehearsal failed to start: RuntimeError: the web process " \
           "exited with 2" in output
    assert "CORS_ORIGINS: 'http://tasks-frontend.example' must use https:// in production" in output
    assert not [line for line in suite.lines if STEP_LINE.match(line)], "no scenario ran"
    assert_not_run(suite, report, checkout, "rehearsal failed to start")


@pytest.fixture(scope="module")
def deployment() -> Iterator[object]:
    """Production on loopback, deployed from this checkout; the suite reaches it as a live URL."""
    from backend.local.rehearsal import Rehearsal

    with Rehearsal(allowed_origin=ORIGIN) as rehearsal:
        yield rehearsal


def live(deployment: object, secret: str | None = None) -> dict[str, str]:
    return {"BASE_URL": deployment.base_url, "ALLOWED_ORIGIN": ORIGIN,  # type: ignore[attr-defined]
            "BETTER_AUTH_SECRET": secret or deployment.secret}  # type: ignore[attr-defined]


def test_a_wrong_secret_stops_at_once(checkout: Path, deployment: object) -> None:
    suite, report = verify(checkout, **live(deployment, secrets.token_urlsafe(40)))
    assert suite.lines[1].startswith("HOOK-ERROR in before_all: SuiteNotRun: token rejected: ")
    assert "answered 401 to a token signed with BETTER_AUTH_SECRET" in suite.lines[1]
    assert len(suite.lines) == 3 and suite.lines[2].startswith("acceptance suite NOT RUN: token rejected")
    assert_not_run(suite, report, checkout, "token rejected")


def test_no_scenario_executed_is_not_run(checkout: Path, deployment: object) -> None:
    suite, report = verify(checkout, "--tags=@no-such-tag", **live(deployment))
    assert suite.code != 0
    assert "HOOK-ERROR in after_all: SuiteNotRun: no scenario was executed" in "\n".join(suite.lines)
    assert report.code == 2
    assert report.lines[0].startswith("VERDICT: NOT RUN: no scenario was executed")


def test_an_interrupted_run_is_not_run(checkout: Path, deployment: object) -> None:
    """Ctrl-C once the first scenario started: the scenarios that ran are reported, the verdict is not PASSED."""
    environment = {key: value for key, value in os.environ.items() if key not in SUITE_VARIABLES}
    # preexec_fn: Ctrl-C reaches the suite as from a terminal, even when make test runs as a background job (which
    # starts every child with SIGINT ignored).
    process = subprocess.Popen([sys.executable, "-m", "behave"], cwd=checkout, env={**environment, **live(deployment)},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if STEP_LINE.match(line) and " ... passed" in line:  # a scenario is under way: interrupt it
            process.send_signal(signal.SIGINT)
            break
    lines += process.stdout.read().splitlines()
    assert process.wait(timeout=120) != 0
    assert any(line.startswith("acceptance suite NOT RUN: interrupted — ") for line in lines), lines[-5:]
    report = run(checkout, "audit")
    assert report.code == 2
    assert report.lines[0].startswith("VERDICT: NOT RUN: interrupted (the run was aborted after ")


def test_a_live_run_prints_each_step_once_and_ends_with_one_line(checkout: Path, deployment: object) -> None:
    suite, report = verify(checkout, **live(deployment))
    output = "\n".join(suite.lines)
    assert suite.code == 0, output[-3000:]
    steps = [line.strip() for line in suite.lines if STEP_LINE.match(line)]
    assert len(steps) > 40
    assert all(" ... passed in " in step or " ... skipped" in step for step in steps), "one line per step, plain"
    assert not [line for line in suite.lines if re.search(r"\s# (steps|features)/", line)], "no second formatter"
    for unwanted in ("BETTER_AUTH_SECRET is not set", "ABORTED", "Took ", "scenarios passed", "HOOK-ERROR"):
        assert unwanted not in output + suite.errors
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=checkout, capture_output=True, text=True,
                            check=True).stdout.strip()
    notes = [line for line in suite.lines if "(@checkout: " in line]
    assert len(notes) == 6 and all(f"commit {commit[:12]}, not the deployment at " in note for note in notes)
    assert re.fullmatch(rf"acceptance suite \({re.escape(deployment.base_url)}\): 14 passed, 0 failed, 3 not run; "  # type: ignore[attr-defined]
                        r"\d+ requests over \d+ connection\(s\); wall time [\d.]+ s; results: reports/",
                        suite.lines[-1]), suite.lines[-1]

    assert report.code == 0, report.lines
    assert len(report.lines) == 1
    assert re.fullmatch(r"VERDICT: PASSED — 17 scenarios: 14 passed, 0 failed, 0 errored, 3 not run — wall time "
                        r"[\d.]+ s — report: reports/REPORT.md", report.lines[0]), report.lines[0]
    markdown = (checkout / "reports" / "REPORT.md").read_text()
    version = deployment.environment()["RAILWAY_GIT_COMMIT_SHA"]  # type: ignore[attr-defined]
    assert f"{version}, which is NOT the checkout's commit {commit}" in markdown, "item 4: both commits named"
    assert "inspects this checkout, not the deployment" in markdown
    adr_0003 = next(line for line in markdown.splitlines() if line.startswith("| [ADR 0003]"))
    assert "**not confirmed in this run** — its scenarios passed, but none exercised " \
           "database\\_path=pgbouncer-transaction in this run (this run: database\\_path=unknown)" in adr_0003
    assert "**Database path:** unknown: /health does not reveal" in markdown
    adr_0020 = next(line for line in markdown.splitlines() if line.startswith("| [ADR 0020]"))
    over_tls = deployment.base_url.startswith("https://")  # type: ignore[attr-defined]
    assert ("**yes**" in adr_0020) == over_tls, f"US2.2 records the edge it crossed: {adr_0020}"
