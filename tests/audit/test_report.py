"""The audit generator on recorded behave runs: matrix cells, failures, verdict, exit status, links, escaping.

Spec: US3 scenario 2, SC-005. Decision: history/adr/0015-audit-report-generated-from-results.md.
"""

from __future__ import annotations

import json
import re

from tests.audit.conftest import NOT_RUN_REASON, Project


def matrix(markdown: str) -> dict[str, dict[str, str]]:
    """Rows of section 4 keyed by spec id, cells keyed by column title (escaped pipes kept inside cells)."""
    section = markdown.split("## 4. Traceability matrix", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    split = [[cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines]
    headers = split[0]
    rows = {}
    for cells in split[2:]:
        identifier = re.match(r"\*\*([^*]+)\*\*", cells[0])
        assert identifier, cells[0]
        rows[identifier.group(1)] = dict(zip(headers, cells, strict=True))
    return rows


def section(markdown: str, number: int) -> str:
    return markdown.split(f"\n## {number}. ", 1)[1].split("\n## ", 1)[0]


# ----------------------------------------------------------------------------------------- the mixed run


def test_matrix_cells_show_each_outcome(mixed: Project, monkeypatch, capsys):
    mixed.generate(monkeypatch, capsys)
    rows = matrix(mixed.markdown)

    assert rows["US1.1"]["Result"] == "✅ passed"
    assert rows["US1.2"]["Result"] == "❌ failed"
    assert rows["EC1"]["Result"] == "💥 errored", "a step raising is an error, not a failure"
    # FR-002: a hook error and two outline rows, one of which fails: the worst outcome wins.
    assert rows["FR-002"]["Result"] == "❌ failed"
    assert "💥 errored a hook raises" in rows["FR-002"]["Scenarios"]
    assert "✅ passed outline row 1 -- @1.1" in rows["FR-002"]["Scenarios"]
    assert "❌ failed outline row 12 -- @1.2" in rows["FR-002"]["Scenarios"]
    # SC-001 is only evidenced by a @local scenario, skipped against a live URL: not run, with the reason.
    assert rows["SC-001"]["Result"] == "⏭️ not run"
    assert "passed" not in rows["SC-001"]["Scenarios"]
    assert f"@local: {NOT_RUN_REASON}" in rows["SC-001"]["Scenarios"]
    # FR-003 has no scenario at all.
    assert rows["FR-003"]["Result"] == "⚠️ no scenario"
    assert rows["FR-003"]["ADRs"] == "—"


def test_feature_level_tags_reach_every_scenario(mixed: Project, monkeypatch, capsys):
    """behave 1.3's JSON lists @FR-001/@adr-0001 on the feature only; the report merges them onto scenarios."""
    features = json.loads((mixed.reports / "behave.json").read_text())
    assert all("FR-001" not in element.get("tags", []) for element in features[0]["elements"])
    mixed.generate(monkeypatch, capsys)
    fr001 = matrix(mixed.markdown)["FR-001"]
    assert fr001["Scenarios"].count("<br>") == 8, "all nine scenarios of the feature evidence FR-001"
    assert "[ADR 0001](../history/adr/0001-dynamic-port.md)" in fr001["ADRs"]


def test_failures_carry_messages_from_json_and_junit(mixed: Project, monkeypatch, capsys):
    """Failed steps have their message in the JSON; error steps and hook errors only in JUnit (behave 1.3)."""
    features = json.loads((mixed.reports / "behave.json").read_text())
    error_step = next(step for element in features[0]["elements"] if element["name"] == "a step raises"
                      for step in element["steps"])
    assert error_step["result"]["status"] == "error"
    assert "error_message" not in error_step["result"]

    mixed.generate(monkeypatch, capsys)
    failures = section(mixed.markdown, 9)
    assert "expected 200, got 503" in failures
    assert "RuntimeError: database unreachable" in failures
    assert "HOOK-ERROR in before_scenario: RuntimeError: hook exploded" in failures
    assert "12 is not below 10" in failures
    assert "passes" not in re.findall(r"› ([^*]+)\*\*", failures), "a passed scenario is not a failure"


def test_failed_suite_and_missing_adr_fail_the_generator(mixed: Project, monkeypatch, capsys):
    code, output = mixed.generate(monkeypatch, capsys)
    assert code == 1
    verdict = output.strip().splitlines()[-1]
    assert verdict.startswith("VERDICT: FAILED — 9 scenarios: 4 passed, 2 failed, 2 errored, 1 not run")
    assert verdict.endswith(" — wall time 1.5 s — report: reports/REPORT.md")
    problems = section(mixed.markdown, 2)
    assert "the suite failed: 2 failed and 2 errored scenario(s)" in problems
    assert "@adr-0099 names an ADR that does not exist" in problems
    assert "FR-003 has no scenario" in problems
    assert "ADR 0099 (missing)" in matrix(mixed.markdown)["US1.1"]["ADRs"]


def test_no_token_or_secret_reaches_the_report(mixed: Project, monkeypatch, capsys):
    mixed.generate(monkeypatch, capsys)
    plain = (mixed.reports / "plain.txt").read_text()
    token = re.search(r"Bearer (\S+);", plain)
    assert token and mixed.secret in plain, "the fixture really printed a token and the secret"
    for text in (mixed.markdown, mixed.html):
        assert token.group(1) not in text
        assert mixed.secret not in text
        assert "«redacted»" in text


def test_every_value_is_escaped(mixed: Project, monkeypatch, capsys):
    mixed.generate(monkeypatch, capsys)
    assert "<script>" not in mixed.html
    assert "a &lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt; | name" in mixed.html
    assert r"a \<b\>bold\</b\> &amp; \<script\>alert(1)\</script\> \| name" in mixed.markdown
    row = matrix(mixed.markdown)["US1.1"]
    assert len(row) == 5, "an escaped pipe in a scenario name does not add a table column"


# ----------------------------------------------------------------------------------------- the green run


def test_green_run_passes_with_not_run_items_shown_as_such(green: Project, monkeypatch, capsys):
    code, output = green.generate(monkeypatch, capsys)
    assert code == 0, section(green.markdown, 2)
    assert output.strip().splitlines() == ["VERDICT: PASSED — 8 scenarios: 6 passed, 0 failed, 0 errored, 2 not run — "
                                           "wall time 1.5 s — report: reports/REPORT.md"]
    rows = matrix(green.markdown)
    assert rows["SC-001"]["Result"] == "⏭️ not run"
    assert rows["EC1"]["Result"] == "✅ passed<br>1 of 2 not run"
    assert "Problems (each fails the generator):**\n\n- none" in green.markdown


def test_rule_tags_and_rule_status_are_recovered(green: Project, monkeypatch, capsys):
    """Inside a Rule, behave 1.3's JSON drops the rule's tags, and (seen with two rules and a background) can
    write ``"status": null``; the tags come back from the feature files and the status from JUnit."""
    path = green.reports / "behave.json"
    features = json.loads(path.read_text())
    in_rule = next(element for element in features[0]["elements"] if element["name"] == "a scenario inside a rule")
    assert "FR-003" not in in_rule["tags"]
    in_rule["status"] = None
    path.write_text(json.dumps(features))
    green.generate(monkeypatch, capsys)
    assert matrix(green.markdown)["FR-003"]["Result"] == "✅ passed"


def test_links_are_relative_and_open(green: Project, monkeypatch, capsys):
    green.generate(monkeypatch, capsys)
    markdown_links = re.findall(r"\]\(([^)]+)\)", green.markdown)
    html_links = re.findall(r'href="([^"]+)"', green.html)
    assert markdown_links and sorted(set(markdown_links)) == sorted(set(html_links))
    for href in markdown_links:
        assert href.startswith("../history/adr/"), href
        assert (green.reports / href).resolve().is_file(), href


def test_deleting_an_adr_fails_and_names_the_file(green: Project, monkeypatch, capsys):
    green.adr_path("0002").unlink()
    code, output = green.generate(monkeypatch, capsys)
    assert code == 1
    problems = section(green.markdown, 2)
    assert "dead link in README.md: 0002-pool-sizing.md does not exist" in problems
    assert "@adr-0002 names an ADR that does not exist: no history/adr/0002-\\*.md" in problems
    assert "VERDICT: FAILED" in output


def test_accepted_adr_confirmed_by_no_scenario_fails(green: Project, monkeypatch, capsys):
    proposed = green.adr_path("0003")
    proposed.write_text(proposed.read_text().replace("status: proposed", "status: accepted"))
    code, _ = green.generate(monkeypatch, capsys)
    assert code == 1
    assert "0003-proposed-idea.md is accepted but no scenario carries @adr-0003" in section(green.markdown, 2)


def test_dead_link_inside_an_adr_fails(green: Project, monkeypatch, capsys):
    adr = green.adr_path("0001")
    adr.write_text(adr.read_text() + "\nSee [the benchmark](0018-pool-tuning.md).\n")
    code, _ = green.generate(monkeypatch, capsys)
    assert code == 1
    assert "dead link in 0001-dynamic-port.md: 0018-pool-tuning.md does not exist" in section(green.markdown, 2)


def test_scenario_absent_from_results_is_not_run(green: Project, monkeypatch, capsys):
    """A declared scenario missing from the results (e.g. behave --no-skipped) can never count as passed."""
    path = green.reports / "behave.json"
    features = json.loads(path.read_text())
    features[0]["elements"] = [e for e in features[0]["elements"] if e.get("name") != "the pool is used"]
    path.write_text(json.dumps(features))
    green.generate(monkeypatch, capsys)
    row = matrix(green.markdown)["US1.2"]
    assert row["Result"] == "⏭️ not run"
    assert "absent from the results" in row["Scenarios"]


def test_missing_results_fail_and_still_write_the_report(green: Project, monkeypatch, capsys):
    (green.reports / "behave.json").unlink()
    (green.reports / "run.json").unlink()
    code, output = green.generate(monkeypatch, capsys)
    assert code == 2
    assert output.startswith("VERDICT: NOT RUN: no results (reports/behave.json does not exist")
    problems = section(green.markdown, 2)
    assert "reports/behave.json does not exist" in problems
    assert "run.json does not exist" in problems
    assert "passed" not in matrix(green.markdown)["US1.1"]["Result"]


def test_run_metadata_section(green: Project, monkeypatch, capsys):
    green.generate(monkeypatch, capsys)
    metadata = section(green.markdown, 1)
    for expected in ("`https://fixture.up.railway.app`", "`live`", "`fixture-sha`", "`2026-11-25T18:00:00Z`",
                     "`1.5 s`", "`0123abcd`", "`1.3.3`", "`4.2 ms`"):
        assert expected in metadata
