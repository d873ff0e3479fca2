"""The production app imports nothing from backend/local/ (the stand-ins for Railway and Neon on this machine) nor
from tests/ (the mutation stage's faulty factory, even with a mutation run's MUTATION_FAULT set): what the Procfile
starts must not depend on, or carry, the local rehearsal's code or the tests."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys

import pytest

from backend.local.checkout import ROOT, clean_environment

PROBE = """
import json, sys
import backend.main, backend.transport, backend.migrations
from backend.main import create_app_from_environment
create_app_from_environment()
print(json.dumps(sorted(name for name in sys.modules
                        if name.split(".")[:2] == ["backend", "local"] or name.split(".")[0] == "tests")))
"""


def loaded_modules(probe: str) -> list[str]:
    environment = clean_environment(ENVIRONMENT="production", DATABASE_URL="postgresql://u@db.example.com/app?sslmode=require",
                                    BETTER_AUTH_SECRET=secrets.token_urlsafe(48),
                                    CORS_ORIGINS="https://app.example.com", MUTATION_FAULT="auth-alg-none")
    completed = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=environment, capture_output=True,
                               text=True, timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_the_procfiles_app_loads_nothing_from_backend_local_or_the_tests() -> None:
    assert loaded_modules(PROBE) == []


@pytest.mark.parametrize("module", ["backend.local.checkout", "tests.mutation.app"])
def test_the_check_sees_such_an_import(module: str) -> None:
    """The probe can fail: the same check run after importing a stand-in or a test module names it."""
    assert module in loaded_modules(f"import {module}\n" + PROBE)
