"""The fault catalogue stays honest: enough faults, every class, each mapped to a scenario that exists, each still
applicable to today's code — and no backend module imports any of it (a real production start loading none of it
is tests/backend/test_runtime_imports.py)."""

from __future__ import annotations

import ast
import re
import secrets

import pytest

from audit.features import read_features
from audit.traceability import FEATURES
from backend.local.rehearsal import ROOT
from backend.main import create_app
from backend.settings import Settings
from tests.mutation.app import TARGET
from tests.mutation.catalogue import FAULTS
from tests.mutation.fault import FaultClass, Injection
from tests.mutation.stage import PRODUCTION_TARGET, fault_procfile
from tests.mutation.suite_run import CHECKOUT_ONLY

MINIMUM_FAULTS = 30


def test_at_least_thirty_faults_cover_every_class() -> None:
    assert len(FAULTS) >= MINIMUM_FAULTS
    assert {fault.kind for fault in FAULTS.values()} == set(FaultClass)


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_each_fault_is_named_described_and_mapped_to_a_scenario(name: str) -> None:
    fault = FAULTS[name]
    tags = {tag for scenario in read_features(FEATURES) for tag in scenario.tags}
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", fault.name)
    assert fault.description and "\n" not in fault.description
    assert fault.caught_by and set(fault.caught_by) <= tags, f"{name} names a scenario tag that does not exist"


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_each_fault_still_applies_to_the_real_app(name: str, monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: pytest.TempPathFactory) -> None:
    """Every hook asserts the code it breaks is still there: a refactoring cannot silently turn a fault into a no-op."""
    fault = FAULTS[name]
    injection = Injection()
    fault.inject(injection)
    for owner, attribute, value in injection.patches:
        monkeypatch.setattr(owner, attribute, value)
    settings = Settings(environment="production", database_url="postgresql://user@localhost/db",
                        better_auth_secret=secrets.token_urlsafe(48), cors_origins="https://tasks-frontend.vercel.app")
    injection.finish(create_app(settings))
    command = fault_procfile(fault, tmp_path).read_text()  # type: ignore[arg-type]
    assert TARGET in command and PRODUCTION_TARGET not in command


def test_the_production_procfile_names_the_real_factory_only() -> None:
    procfile = (ROOT / "Procfile").read_text()
    assert PRODUCTION_TARGET in procfile and "tests" not in procfile


def test_no_backend_module_imports_the_tests() -> None:
    imports = []
    for path in sorted((ROOT / "backend").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            imports += [f"{path.relative_to(ROOT)}: {name}" for name in names if name.split(".")[0] == "tests"]
    assert imports == []


def test_fault_runs_skip_only_the_scenarios_that_read_the_checkout() -> None:
    skipped = sorted(scenario.name for scenario in read_features(FEATURES) if set(CHECKOUT_ONLY) & set(scenario.tags))
    assert skipped == sorted([
        "Every significant deployment decision has an ADR with rationale and trade-offs",
        "The audit report lists endpoints, environment variables and security measures",
        "No production secret is in the codebase",
    ])
