""".railway/railway.ts must keep saying what the code does (ADR 0014): Procfile start command, /health, pre-deploy
migrations, restart on failure, and no secret value.

These are the rules types cannot express, checked as text; tests/audit/test_railway_sdk.py type-checks the file
against Railway's own SDK. `railway config plan` against a real project remains the final check.
"""

from __future__ import annotations

import re

from backend.local.checkout import procfile
from tests.audit.conftest import REPO

RAILWAY_TS = (REPO / ".railway" / "railway.ts").read_text(encoding="utf-8")


def _start_command() -> str:
    match = re.search(r"const START =\s*((?:\"[^\"]*\"\s*\+?\s*)+);", RAILWAY_TS)
    assert match, "START is a concatenation of string literals"
    return "".join(re.findall(r"\"([^\"]*)\"", match.group(1)))


def test_start_command_is_the_procfiles():
    assert _start_command() == procfile()["web"]
    assert re.search(r"\bstart: START,", RAILWAY_TS)


def test_healthcheck_predeploy_and_restart_policy():
    assert 'healthcheck: "/health",' in RAILWAY_TS
    timeout = re.search(r"healthcheckTimeout: (\d+),", RAILWAY_TS)
    assert timeout and 30 <= int(timeout.group(1)) <= 300
    assert 'preDeploy: "alembic upgrade head",' in RAILWAY_TS
    assert 'restartPolicyType: "ON_FAILURE",' in RAILWAY_TS


def test_secrets_are_preserved_never_written():
    from backend.settings import Settings, env_name, is_marked

    for name in Settings.model_fields:
        variable = env_name(name)
        if is_marked(name, "secret") and variable in RAILWAY_TS:
            assert re.search(rf"\b{variable}: preserve\(\),", RAILWAY_TS), variable
        if is_marked(name, "required_in_production"):
            assert re.search(rf"\b{variable}: ", RAILWAY_TS), f"{variable} is required in production"
    literals = re.findall(r"^\s+([A-Z_]+): \"([^\"]*)\",", RAILWAY_TS, re.MULTILINE)
    assert literals == [("ENVIRONMENT", "production")], "the only literal variable is the non-secret ENVIRONMENT"
