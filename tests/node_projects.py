"""The Node checks' one rule for when they can run: `node` on PATH and the project's `npm ci` done.

Node projects here (each with its committed lockfile): integration/better-auth/ (a real Better Auth server) and
.railway/ (Railway's SDK and TypeScript, to type-check railway.ts). `make node-deps` installs both; `make test`
runs it first. Without node the checks are skipped with the one line this returns.
"""

from __future__ import annotations

import shutil
from pathlib import Path


def node_project_missing(project: Path, package: str) -> str | None:
    """Why ``project``'s Node check cannot run here (one line), or None when it can."""
    if shutil.which("node") is None:
        return f"node is not installed: {project.name}'s Node check needs Node 20+ (skipped)"
    if not (project / "node_modules" / package).is_dir():
        return f"{project.name}/node_modules has no {package}: run `make node-deps` (npm ci) first (skipped)"
    return None
