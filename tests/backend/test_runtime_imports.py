"""The production app imports nothing from backend/local/ (the stand-ins for Railway and Neon on this machine):
what the Procfile starts must not depend on, or carry, the local rehearsal's code."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys

from backend.local.checkout import ROOT, clean_environment

PROBE = """
import json, sys
import backend.main, backend.transport, backend.migrations
from backend.main import create_app_from_environment
create_app_from_environment()
print(json.dumps(sorted(name for name in sys.modules if name == "backend.local" or name.startswith("backend.local."))))
"""


def loaded_local_modules(probe: str) -> list[str]:
    environment = clean_environment(ENVIRONMENT="production", DATABASE_URL="postgresql://u@db.example.com/app?sslmode=require",
                                    BETTER_AUTH_SECRET=secrets.token_urlsafe(48),
                                    CORS_ORIGINS="https://app.example.com")
    completed = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=environment, capture_output=True,
                               text=True, timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_the_procfiles_app_loads_nothing_from_backend_local() -> None:
    assert loaded_local_modules(PROBE) == []


def test_the_check_sees_a_local_import() -> None:
    """The probe can fail: the same check run after importing a stand-in names it."""
    assert "backend.local.checkout" in loaded_local_modules("import backend.local.checkout\n" + PROBE)
