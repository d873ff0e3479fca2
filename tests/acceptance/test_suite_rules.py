"""Rules the acceptance suite applies, checked where the suite applies them (issue 8, items 5 and 6).

- US3.2's "every route is listed" reads the route table the report is generated from, and fails when the
  report leaves a route out;
- the FR-007 scenario and ``environment.py`` use one skip rule (``steps.support.config.skip_reason``).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from types import SimpleNamespace

import pytest

import environment
from steps.support import repository
from steps.support.config import LOCAL_ONLY_REASON, SuiteConfig


@pytest.fixture(scope="module")
def endpoints_section(tmp_path_factory: pytest.TempPathFactory) -> str:
    rendered = repository.render_audit_report(Path(tmp_path_factory.mktemp("report")))
    return repository.report_sections(rendered.markdown)["endpoints"]


def test_every_route_of_the_route_table_is_listed(endpoints_section: str) -> None:
    routes, missing = repository.unlisted_routes(endpoints_section)
    assert {"GET /health", "POST /api/{user_id}/tasks", "DELETE /api/{user_id}/tasks/{task_id}",
            "PATCH /api/{user_id}/tasks/{task_id}/complete"} <= set(routes)
    assert missing == []


def test_a_route_missing_from_the_report_is_named(endpoints_section: str) -> None:
    row = next(line for line in endpoints_section.splitlines()
               if "`/api/{user_id}/tasks/{task_id}/complete`" in line)
    _, missing = repository.unlisted_routes(endpoints_section.replace(row + "\n", ""))
    assert missing == ["PATCH /api/{user_id}/tasks/{task_id}/complete"]


class FakeScenario:
    def __init__(self, *tags: str) -> None:
        self.effective_tags = set(tags)
        self.skipped: str | None = None
        self.name = "a scenario"

    def skip(self, reason: str) -> None:
        self.skipped = reason


def live_context() -> SimpleNamespace:
    config = SuiteConfig.from_sources({"BASE_URL": "https://tasks.up.railway.app", "ALLOWED_ORIGIN":
                                       "https://tasks.vercel.app", "BETTER_AUTH_SECRET": secrets.token_urlsafe(40)}, {})
    record = SimpleNamespace(not_run={})
    return SimpleNamespace(suite=SimpleNamespace(config=config, is_live=True, record=record))


def test_environment_skips_with_the_one_skip_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """Change the rule the FR-007 scenario checks, and the hooks follow: there is no second copy."""
    context = live_context()
    scenario = FakeScenario("local", "EC1")
    environment.before_scenario(context, scenario)
    assert scenario.skipped is not None and LOCAL_ONLY_REASON in scenario.skipped

    monkeypatch.setattr(environment, "skip_reason", lambda tags, config: "ruled out" if "US2.1" in tags else None)
    context.suite.record.not_run.clear()
    changed, local = FakeScenario("US2.1"), FakeScenario("local")
    environment.before_scenario(context, changed)
    environment.before_scenario(context, local)
    assert changed.skipped is not None and "ruled out" in changed.skipped
    assert local.skipped is None
    assert context.suite.record.not_run == {"a scenario": "ruled out"}
