""".railway/railway.ts type-checks against Railway's own SDK (the `railway` npm package, pinned in .railway/'s
lockfile) with `tsc --noEmit` in strict mode: a misspelt key, a wrong type or a value outside the SDK's enums fails
here instead of at `railway config plan` (ADR 0014). tests/audit/test_railway_iac.py keeps the checks types cannot
make: the start command equals the Procfile's, no secret value is written.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.audit.conftest import REPO
from tests.node_projects import node_project_missing

RAILWAY = REPO / ".railway"
pytestmark = pytest.mark.skipif(node_project_missing(RAILWAY, "railway") is not None,
                                reason=str(node_project_missing(RAILWAY, "railway")))


def type_check(project: Path) -> subprocess.CompletedProcess[str]:
    tsc = RAILWAY / "node_modules" / "typescript" / "bin" / "tsc"
    return subprocess.run(["node", str(tsc), "--noEmit", "-p", str(project)], capture_output=True, text=True,
                          timeout=300)


def test_railway_ts_type_checks_against_railways_sdk():
    result = type_check(RAILWAY)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("change", "error"), [
    (('"ON_FAILURE"', '"SOMETIMES"'), "TS2322"),  # outside the SDK's restart policies
    (('healthcheck: "/health"', 'healthCheck: "/health"'), "TS2561"),  # a key the SDK does not have
    (("healthcheckTimeout: 120", 'healthcheckTimeout: "120"'), "TS2322"),  # a string where seconds go
])
def test_the_type_check_can_fail(tmp_path: Path, change: tuple[str, str], error: str):
    """The same check on a copy with one mistake fails: it reads the SDK's types, it is not a syntax check."""
    source = (RAILWAY / "railway.ts").read_text(encoding="utf-8")
    assert change[0] in source
    (tmp_path / "railway.ts").write_text(source.replace(change[0], change[1]), encoding="utf-8")
    (tmp_path / "tsconfig.json").write_text((RAILWAY / "tsconfig.json").read_text(encoding="utf-8"))
    (tmp_path / "node_modules").symlink_to(RAILWAY / "node_modules")
    result = type_check(tmp_path)
    assert result.returncode != 0
    assert re.search(rf"railway\.ts\(\d+,\d+\): error {error}", result.stdout), result.stdout
