"""The verdict never overstates (issue 8, items 1-4): a run that did not run is NOT RUN, never PASSED; an ADR is
confirmed only by a scenario that exercised what it decides; the report says what the run could not show.

Spec: US3 scenario 2, SC-005. Decision: history/adr/0015-audit-report-generated-from-results.md.
"""

from __future__ import annotations

import json

from audit.adrs import load_adrs
from audit.confirmation import confirm
from audit.model import Scenario, Status
from tests.audit.conftest import REPO, Project
from tests.audit.test_report import section


def untested(project: Project) -> None:
    """behave.json as behave writes it when before_all failed: every scenario and step untested."""
    path = project.reports / "behave.json"
    features = json.loads(path.read_text())
    for feature in features:
        feature["status"] = "untested"
        for element in feature["elements"]:
            element["status"] = "untested"
            for step in element.get("steps", []):
                step["result"] = {"status": "untested", "duration": 0}
    path.write_text(json.dumps(features))


def test_an_unreachable_target_is_not_run_with_the_error(green: Project, monkeypatch, capsys):
    untested(green)
    error = "GET /health: http://127.0.0.1:9 unreachable (ConnectError: [Errno 111] Connection refused)"
    green.edit_run(stopped={"reason": "target unreachable", "error": error}, scenarios=[])
    code, output = green.generate(monkeypatch, capsys)
    assert code == 2
    assert output.strip().splitlines() == [
        f"VERDICT: NOT RUN: target unreachable ({error}) — 8 scenarios: 0 passed, 0 failed, 0 errored, 8 not run "
        "— wall time 1.5 s — report: reports/REPORT.md"]
    assert f"```text\n{error}\n```" in section(green.markdown, 2)
    assert 'class="verdict not-run"' in green.html
    assert "PASSED" not in green.markdown and "verdict passed" not in green.html


def test_a_configuration_error_is_not_run_even_with_old_results(green: Project, monkeypatch, capsys):
    """behave.json from a passing run, but this run stopped in before_all: the old results are not vouched for."""
    green.edit_run(stopped={"reason": "configuration error",
                                  "error": "BETTER_AUTH_SECRET: required in live mode\nALLOWED_ORIGIN: required"})
    code, output = green.generate(monkeypatch, capsys)
    assert code == 2
    assert output.startswith("VERDICT: NOT RUN: configuration error (BETTER_AUTH_SECRET: required in live mode "
                             "ALLOWED_ORIGIN: required)")


def test_zero_scenarios_executed_is_not_run(green: Project, monkeypatch, capsys):
    untested(green)
    green.edit_run(scenarios=[])
    code, output = green.generate(monkeypatch, capsys)
    assert code == 2
    assert output.startswith("VERDICT: NOT RUN: no scenario was executed")


def test_a_missing_run_record_is_not_run(green: Project, monkeypatch, capsys):
    (green.reports / "run.json").unlink()
    code, output = green.generate(monkeypatch, capsys)
    assert code == 2
    assert output.startswith("VERDICT: NOT RUN: no run record")


def test_a_run_record_from_another_run_is_not_run(green: Project, monkeypatch, capsys):
    run = json.loads((green.reports / "run.json").read_text())
    green.edit_run(scenarios=run["scenarios"][1:])
    code, output = green.generate(monkeypatch, capsys)
    assert code == 2
    assert output.startswith("VERDICT: NOT RUN: results from different runs (reports/run.json and "
                             "reports/behave.json are from different runs: 1 scenario(s) differ")


def test_a_scenario_the_record_saw_fail_cannot_pass(green: Project, monkeypatch, capsys):
    run = json.loads((green.reports / "run.json").read_text())
    run["scenarios"][0]["status"] = "failed"
    green.edit_run(scenarios=run["scenarios"])
    code, output = green.generate(monkeypatch, capsys)
    assert code == 2 and "results from different runs" in output


# ----------------------------------------------------------------------------------------- ADR confirmation


def condition(project: Project, prefix: str, facts: str) -> None:
    adr = project.adr_path(prefix)
    adr.write_text(adr.read_text().replace("date: 2026-11-25\n", f"date: 2026-11-25\nconfirmed-when: {facts}\n"))


def decisions_row(project: Project, number: str) -> str:
    return next(line for line in section(project.markdown, 8).splitlines() if line.startswith(f"| [ADR {number}]"))


def exercise(project: Project, name: str, **facts: str) -> None:
    run = json.loads((project.reports / "run.json").read_text())
    for item in run["scenarios"]:
        if item["name"] == name:
            item["exercised"] = facts
    project.edit_run(scenarios=run["scenarios"])


def test_an_adr_is_confirmed_only_by_a_scenario_that_exercised_it(green: Project, monkeypatch, capsys):
    condition(green, "0002", "database_path=pgbouncer-transaction")
    exercise(green, "the service answers", database_path="direct")
    code, _ = green.generate(monkeypatch, capsys)
    row = decisions_row(green, "0002")
    assert "**not confirmed in this run** — its scenarios passed, but none exercised " \
           "database\\_path=pgbouncer-transaction in this run (this run: database\\_path=direct)" in row
    assert "0002-pool-sizing.md is not confirmed in this run" in section(green.markdown, 2)
    assert "**ADRs not confirmed in this run:** ADR 0002 (why: section Decisions)" in section(green.markdown, 3)
    assert code == 0, "a passing run that did not exercise a decision says so; it is not a failure"

    exercise(green, "the service answers", database_path="pgbouncer-transaction")
    green.generate(monkeypatch, capsys)
    assert "**yes** — by the service answers (exercised database\\_path=pgbouncer-transaction)" in \
        decisions_row(green, "0002")


def test_a_condition_no_scenario_records_is_a_problem(green: Project, monkeypatch, capsys):
    """The step that records the fact was lost (as US2.2's edge=tls once was): the suite no longer checks it."""
    condition(green, "0002", "database_path=pgbouncer-transaction")
    exercise(green, "the service answers")
    code, _ = green.generate(monkeypatch, capsys)
    assert code == 1
    assert "0002-pool-sizing.md: its scenarios passed without recording database\\_path" in section(green.markdown, 2)


def test_adr_0003_needs_the_pgbouncer_path(tmp_path):
    """The real ADR 0003: US1.2 passing on a direct connection (PgBouncer not installed) does not confirm it."""
    adr = next(adr for adr in load_adrs(REPO / "history" / "adr")[0] if adr.number == "0003")

    def us12(**exercised: str) -> Scenario:
        return Scenario(feature="f", name="US1.2", location="f:1", tags=frozenset({"US1.2", "adr-0003"}),
                        status=Status.PASSED, behave_status="passed", exercised=exercised)

    assert not confirm(adr, [us12(database_path="direct")]).confirmed
    assert not confirm(adr, [us12()]).confirmed, "a live run cannot see the database path"
    assert confirm(adr, [us12(database_path="pgbouncer-transaction")]).confirmed


def test_a_malformed_condition_is_a_problem(green: Project, monkeypatch, capsys):
    condition(green, "0001", "database_path")
    code, _ = green.generate(monkeypatch, capsys)
    assert code == 1
    assert "0001-dynamic-port.md: confirmed-when 'database\\_path' is not fact=value" in section(green.markdown, 2)


# ----------------------------------------------------------------------------------------- scope


def test_the_report_says_what_the_run_could_not_show(green: Project, monkeypatch, capsys):
    green.generate(monkeypatch, capsys)
    scope = section(green.markdown, 3)
    assert "**Not rehearsed:** unknown — the run record does not say" in scope
    assert "**Database path:** unknown — the run record does not say" in scope

    green.edit_run(not_rehearsed=["Railway's TLS edge", "a real Neon compute"], database_path="unknown: hidden")
    green.generate(monkeypatch, capsys)
    scope = section(green.markdown, 3)
    assert "**Not rehearsed:** Railway's TLS edge" in scope and "**Not rehearsed:** a real Neon compute" in scope
    assert "**Database path:** unknown: hidden" in scope


def test_live_mode_names_checkout_scenarios_and_compares_versions(green: Project, monkeypatch, capsys):
    green.generate(monkeypatch, capsys)
    scope = section(green.markdown, 3)
    assert "**Read this checkout, not the deployment:** the pool is used — made on commit 0123abcd" in scope
    assert "fixture-sha, which is NOT the checkout's commit 0123abcd: the repository checks" in scope
    assert "the deployment reports version fixture-sha, the checkout is 0123abcd" in section(green.markdown, 2)
    assert "the pool is used `features/fixture.feature:11` — inspects this checkout, not the deployment" in \
        section(green.markdown, 4)

    green.edit_run(version="0123abcd9999", checkout_modified=True)
    green.generate(monkeypatch, capsys)
    scope = section(green.markdown, 3)
    assert "made on commit 0123abcd plus uncommitted changes" in scope
    assert "0123abcd9999, the checkout's commit: the repository checks apply to what is deployed" in scope
