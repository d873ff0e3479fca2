"""Schemathesis against the development app's OpenAPI, over HTTP, every check on (issue 9 item 15; ADR 0017).

The app is the Procfile's web process in development mode (docs and /openapi.json on) on a real PostgreSQL; the
fuzzer acts as one signed-in user whose id is the path's ``user_id``. Its token is minted here at run time and
passed through the environment, never written anywhere. Bounded by examples per operation so that it adds well
under a minute to ``make test``; the seed is random each run and printed, so a failure can be replayed with
``FUZZ_SEED=<seed>``.
"""

from __future__ import annotations

import os
import random
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from backend.local.checkout import clean_environment
from backend.local.postgres import LocalPostgres
from tests.backend.conftest import make_token, new_user_id, web_process

FUZZ = Path(__file__).parent / "fuzz"
MAX_EXAMPLES = 30  # per operation and phase: 25-45 s for the 7 operations on 2 shared cores
RUN_TIMEOUT_SECONDS = 240


@pytest.mark.timeout(RUN_TIMEOUT_SECONDS + 60)
def test_schemathesis_finds_no_failure_with_every_check_on(postgres: LocalPostgres, tmp_path: Path) -> None:
    secret = secrets.token_urlsafe(48)
    user_id = new_user_id()
    seed = os.environ.get("FUZZ_SEED") or str(random.SystemRandom().randrange(2**32))
    environment = {"ENVIRONMENT": "development", "DATABASE_URL": postgres.url, "BETTER_AUTH_SECRET": secret}

    with web_process(tmp_path, environment) as web:
        web.wait_until_healthy()
        run = subprocess.run(
            [str(Path(sys.executable).parent / "st"), "--config-file", str(FUZZ / "schemathesis.toml"), "run",
             f"{web.base_url}/openapi.json", "--checks", "all", "--max-examples", str(MAX_EXAMPLES),
             "--seed", seed, "--no-color"],
            cwd=tmp_path,  # Schemathesis' own cache stays out of the working copy
            env=clean_environment(FUZZ_TOKEN=make_token(secret, user_id, expires_in=RUN_TIMEOUT_SECONDS + 60),
                                  FUZZ_USER_ID=user_id, FUZZ_HOOKS=str(FUZZ / "hooks.py")),
            capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS, check=False,
        )
        server_log = web.log

    output = run.stdout + run.stderr
    assert run.returncode == 0, f"Schemathesis failed (replay with FUZZ_SEED={seed}):\n{output}\n{server_log}"
    assert "No issues found" in output, output
    assert "Traceback" not in server_log, server_log
    assert secret not in output and "FUZZ_TOKEN" not in output
