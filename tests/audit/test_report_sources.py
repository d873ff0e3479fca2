"""The audit report's inventories (endpoints, variables, measures) come from the code and the ADRs, and the real
entry point, spec and ADRs work end to end. Spec: US3 scenario 2, SC-005.
Decision: history/adr/0015-audit-report-generated-from-results.md.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from backend.settings import Settings
from tests.audit.conftest import REPO, Project
from tests.audit.test_report import section

# ----------------------------------------------------------------------------------------- inventories


def test_endpoints_come_from_the_route_table(green: Project, monkeypatch, capsys):
    green.generate(monkeypatch, capsys)
    endpoints = section(green.markdown, 5)
    rows = {tuple(cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:3]): line
            for line in endpoints.splitlines() if line.startswith("| `")}
    assert "yes — Bearer JWT" in rows[("`DELETE`", "`/api/{user_id}/tasks/{task_id}`")]
    assert "| no |" in rows[("`GET HEAD`", "`/health`")]
    assert "200, 503" in rows[("`GET HEAD`", "`/health`")]
    assert "Docs only" in rows[("`GET HEAD`", "`/openapi.json`")]
    assert "Docs only" not in rows[("`GET`", "`/api/{user_id}/tasks`")]


def test_variables_show_markers_and_defaults_never_values(green: Project, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_POOL_SIZE", "17")
    monkeypatch.setenv("CORS_ORIGINS", "https://a-value-that-must-not-appear.example")
    green.generate(monkeypatch, capsys)
    variables = section(green.markdown, 6)
    secret_row = next(line for line in variables.splitlines() if line.startswith("| `BETTER_AUTH_SECRET`"))
    assert "alias `JWT_SECRET`" in secret_row and "| required |" in secret_row and "| secret |" in secret_row
    pool_row = next(line for line in variables.splitlines() if line.startswith("| `DATABASE_POOL_SIZE`"))
    default = Settings.model_fields["database_pool_size"].default
    assert f"`{default}`" in pool_row and "17" not in pool_row, "the schema's default, never the environment's value"
    assert "a-value-that-must-not-appear" not in green.markdown
    assert "| `PORT` |" in variables, "the Procfile's own variable is listed too"


def test_security_measures_come_from_adrs(green: Project, monkeypatch, capsys):
    green.generate(monkeypatch, capsys)
    measures = section(green.markdown, 7)
    assert "The process binds $PORT and nothing else" in measures
    assert "[ADR 0001](../history/adr/0001-dynamic-port.md)" in measures
    assert "Size the pool" not in measures, "an ADR without a security-measure line is not a security measure"


# ----------------------------------------------------------------------------------------- end to end


def test_python_dash_m_audit(green: Project):
    """The real entry point, as `make report` runs it: exit status, report path and one verdict line."""
    completed = subprocess.run([sys.executable, "-m", "audit", *green.arguments()], cwd=REPO, capture_output=True,
                               text=True, timeout=60, check=False,
                               env={"PATH": "/usr/bin:/bin", "BETTER_AUTH_SECRET": green.secret})
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.splitlines() == [
        "VERDICT: PASSED — 8 scenarios: 6 passed, 0 failed, 0 errored, 2 not run — wall time 1.5 s — "
        "report: reports/REPORT.md",
    ]


@pytest.mark.parametrize(("kind", "count"), [("US", 8), ("FR", 7), ("SC", 5), ("EC", 3)])
def test_the_real_spec_parses(kind: str, count: int):
    from audit.spec import parse_spec

    items = [item for item in parse_spec(REPO / "specs" / "004-backend-deployment" / "spec.md") if item.kind == kind]
    assert len(items) == count
    assert len({item.id for item in items}) == count


def test_the_real_adrs_are_complete_and_indexed():
    from audit.adrs import load_adrs
    from audit.links import adr_link_problems

    adr_dir = REPO / "history" / "adr"
    adrs, problems = load_adrs(adr_dir)
    assert problems == []
    assert [adr.number for adr in adrs][:17] == [f"{n:04d}" for n in range(1, 18)]
    assert all(adr.confirmation_tags for adr in adrs), "every ADR names the scenario tags that confirm it"
    assert adr_link_problems(adr_dir, [adr.path.name for adr in adrs]) == []


def test_repository_paths_are_relative(green: Project, monkeypatch, capsys):
    green.generate(monkeypatch, capsys)
    assert str(green.root) not in green.markdown
    assert str(Path.home()) not in green.markdown or str(Path.home()) == "/"


def test_html_is_well_formed_and_self_contained(mixed: Project, monkeypatch, capsys):
    from html.parser import HTMLParser

    class Checker(HTMLParser):
        void = frozenset({"br", "meta"})

        def __init__(self) -> None:
            super().__init__()
            self.open: list[str] = []
            self.external: list[str] = []

        def handle_starttag(self, tag, attrs):
            values = dict(attrs)
            if tag in {"script", "link", "img", "iframe"} or (values.get("src") or "").startswith("http"):
                self.external.append(tag)
            if tag not in self.void:
                self.open.append(tag)

        def handle_endtag(self, tag):
            assert self.open and self.open.pop() == tag, f"unbalanced </{tag}>"

    mixed.generate(monkeypatch, capsys)
    checker = Checker()
    checker.feed(mixed.html)
    assert checker.open == [] and checker.external == []
    assert mixed.html.count("<h2>") == 10  # nine sections and Verification power (audit/power.py)


def test_generating_the_report_changes_no_tracked_file(green: Project, monkeypatch, capsys):
    """Issue 8 item 9: the report goes next to the results, in reports/, which git ignores; none is committed."""
    green.generate(monkeypatch, capsys)  # no --out: the default
    assert (green.root / "reports" / "REPORT.md").is_file() and (green.root / "reports" / "report.html").is_file()
    assert not (green.root / "audit").exists()
    ignored = subprocess.run(["git", "check-ignore", "reports/REPORT.md", "reports/report.html"], cwd=REPO,
                             capture_output=True, text=True, check=False)
    assert ignored.stdout.split() == ["reports/REPORT.md", "reports/report.html"]
    tracked = subprocess.run(["git", "ls-files", "audit"], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.split()
    assert tracked and all(name.endswith(".py") for name in tracked), "a generated report is committed under audit/"
