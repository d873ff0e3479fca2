"""This checkout and the process environment around it: the repository root, what git says about it, and which of
the developer's variables belong to the service (and so must not leak into a rehearsal, a test's subprocess or the
suite's checks of how the service reads its environment)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Read by the service or by the platform around it; prefixes cover the Settings families and Railway's own.
SERVICE_VARIABLE_PREFIXES = ("DATABASE_", "BETTER_AUTH_", "JWT_", "CORS_", "RAILWAY_")
PLATFORM_VARIABLES = frozenset({"PORT", "WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS"})  # read by the Procfile


def git(*arguments: str) -> str | None:
    """``git <arguments>`` in this checkout, its output stripped; None when git or the checkout is missing."""
    try:
        return subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def commit(length: int | None = None) -> str | None:
    """The checked-out commit (abbreviated to ``length`` characters when given)."""
    return git("rev-parse", f"--short={length}" if length else "--verify", "HEAD")


def procfile(path: Path = ROOT / "Procfile") -> dict[str, str]:
    """The Procfile's processes (name → command), read by honcho, which runs them here as Railway does."""
    from honcho.environ import parse_procfile

    return dict(parse_procfile(path.read_text(encoding="utf-8")).processes)


def is_service_variable(name: str) -> bool:
    """A variable the service reads (every Settings variable and alias) or the platform sets for it."""
    upper = name.upper()
    return upper in _settings_variables() or upper in PLATFORM_VARIABLES or upper.startswith(SERVICE_VARIABLE_PREFIXES)


@cache
def _settings_variables() -> frozenset[str]:
    from backend.settings import Settings, env_names

    return frozenset(name for field_name in Settings.model_fields for name in env_names(field_name))


def clean_environment(environ: Mapping[str, str] | None = None, **variables: str) -> dict[str, str]:
    """``environ`` (this process's) minus the service variables, with this Python's scripts first on PATH (as on
    Railway's image: uvicorn, alembic), plus ``variables``: for a subprocess whose settings must be exactly those."""
    inherited = {key: value for key, value in (os.environ if environ is None else environ).items()
                 if not is_service_variable(key)}
    path = os.pathsep.join([str(Path(sys.executable).parent), inherited.get("PATH", os.defpath)])
    return {**inherited, "PATH": path, **variables}


@contextmanager
def service_environment(**variables: str) -> Iterator[None]:
    """This process's environment holds exactly ``variables`` of the service's meanwhile (for ``Settings()``)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update({key: value for key, value in saved.items() if not is_service_variable(key)}, **variables)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
