"""User Story 3 (ADRs, audit report) and SC-002 (no secret in the codebase): checks of the checkout itself."""

from __future__ import annotations

import tempfile
from pathlib import Path

from behave import given, then, when
from hamcrest import assert_that, empty, equal_to, greater_than, has_item, is_not

from audit.features import read_features
from audit.traceability import FEATURES, citation_problems
from steps.support import configuration, repository

# ------------------------------------------------------------------------------------------------ US3.1


@given("a significant deployment decision (e.g., pooling strategy)")
def step_decisions(context):
    context.decisions = {row["adr"]: row["decision"] for row in context.table}
    assert_that(len(context.decisions), greater_than(0), "the scenario lists the decisions to look for")


@when("the deployment is finalized")
def step_finalized(context):
    context.adrs = repository.adrs()


@then("a corresponding ADR exists with rationale and tradeoffs")
def step_adr_exists(context):
    assert_that(repository.decision_problems(context.decisions, context.adrs), empty(),
                "every listed decision has an ADR with context, decision, alternatives, good and bad consequences "
                "and a confirmation")


@then("every ADR a scenario cites exists and names scenarios that confirm it")
def step_cited_adrs(context):
    assert_that(citation_problems(read_features(FEATURES), context.adrs), empty(), "ADR ↔ scenario links, both ways")


# ------------------------------------------------------------------------------------------------ US3.2


@given("the completed deployment task")
def step_completed_task(context):
    from backend.settings import Settings, env_name

    context.expected_variables = sorted(env_name(name) for name in Settings.model_fields)


@when("the agent finishes")
def step_agent_finishes(context):
    work_dir = tempfile.TemporaryDirectory(prefix="audit-check-")
    context.add_cleanup(work_dir.cleanup)
    context.rendered = repository.render_audit_report(Path(work_dir.name))
    assert_that(context.rendered.markdown, is_not(empty()),
                f"`python -m audit` wrote no REPORT.md (exit {context.rendered.exit_code}):\n{context.rendered.output}")


@then("a summary report is produced listing all configured endpoints, environment variables, and security measures")
def step_report_lists(context):
    sections = repository.report_sections(context.rendered.markdown)
    for needed in ("endpoints", "environment variables", "security measures"):
        assert_that(list(sections), has_item(needed), "the audit report's sections")
    routes, missing_routes = repository.unlisted_routes(sections["endpoints"])
    assert_that(routes, has_item("GET /health"), "the app's route table (audit.inventory) lists its routes")
    assert_that(missing_routes, empty(), "every route of the app is listed under Endpoints")
    missing_variables = [name for name in context.expected_variables if name not in sections["environment variables"]]
    assert_that(missing_variables, empty(), "every Settings variable is listed under Environment variables")
    assert_that(repository.unnamed_measures(sections["security measures"]), empty(),
                "security measures the deployment relies on")


@then("every ADR link in the report opens")
def step_report_links(context):
    links, dead, unlinked = repository.adr_links(context.rendered.markdown, context.rendered.out_dir)
    assert_that(len(links), greater_than(0), "the report links its ADRs")
    assert_that(dead, empty(), "ADR links in the report that do not resolve")
    assert_that(unlinked, empty(), "SC-005: every ADR is linked from the report")


# ------------------------------------------------------------------------------------------------ SC-002


@given("the repository checkout")
def step_checkout(context):
    assert_that(repository.BASELINE.is_file(), equal_to(True), "the reviewed baseline .secrets.baseline exists")


@when("it is scanned for secrets with detect-secrets against the reviewed baseline")
def step_scan(context):
    context.new_secrets, context.unreviewed, context.files_scanned = repository.scan_for_secrets()


@then("no secret outside the reviewed baseline is found")
def step_no_new_secrets(context):
    assert_that(context.files_scanned, greater_than(10), "files scanned (tracked and new)")
    assert_that([str(item) for item in context.new_secrets], empty(),
                "possible secrets (values not shown): remove them, or review them into .secrets.baseline with "
                "`detect-secrets scan --baseline .secrets.baseline && detect-secrets audit .secrets.baseline`")


@then("every entry of the baseline has been reviewed as a false positive")
def step_baseline_reviewed(context):
    assert_that([str(item) for item in context.unreviewed], empty(),
                "baseline entries not audited as false positives (is_secret must be false)")


@then("the scanner flags a secret planted in a temporary file")
def step_scanner_awake(context):
    assert_that(repository.scanner_flags_a_planted_secret(), has_item("Secret Keyword"),
                "the scanner, configured as the baseline says, must flag a generated BETTER_AUTH_SECRET literal")


@then("no setting marked secret has a default value")
def step_no_secret_defaults(context):
    marked, defaulted = configuration.secret_settings_with_defaults()
    assert_that(marked, has_item("BETTER_AUTH_SECRET"), "secret settings are marked in the Settings schema")
    assert_that(defaulted, empty(), "secret settings with a default")
