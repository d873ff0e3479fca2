"""``make run`` and ``make token`` (issue 8, items 14 and 16): the development server accepts the tokens ``make token``
prints, across reloads and restarts; its secret stays in the git-ignored ``.data/`` folder, readable by its owner
only; its reloader watches the source folder only, with file events rather than polling the whole checkout.

The real thing: ``python -m backend.local.dev`` (what ``make run`` runs) against the session's PostgreSQL, and
``make token`` run literally.
"""

from __future__ import annotations

import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from backend.local import dev
from backend.local.checkout import clean_environment
from backend.local.postgres import LocalPostgres
from backend.local.rehearsal import ROOT
from tests.backend.conftest import WebProcess, web_process

WAIT_SECONDS = 60


def get(server: WebProcess, path: str, token: str) -> httpx.Response:
    return httpx.get(f"{server.base_url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10)


def wait_for(server: WebProcess, predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} within {WAIT_SECONDS}s:\n{server.log}")


def healthy(server: WebProcess) -> bool:
    try:
        return httpx.get(f"{server.base_url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def dev_server(postgres: LocalPostgres, tmp_path: Path) -> Iterator[WebProcess]:
    """What ``make run`` runs, answering /health."""
    command = [sys.executable, "-m", "backend.local.dev"]
    with web_process(tmp_path, {"DATABASE_URL": postgres.url}, command=command) as server:
        server.wait_until_healthy(WAIT_SECONDS)
        yield server


@contextmanager
def created(path: Path) -> Iterator[Path]:
    path.write_text("# a change for the reloader to see; removed by the test\n")
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def make_token(user: str) -> str:
    result = subprocess.run(["make", "--no-print-directory", "token", f"USER={user}"], cwd=ROOT,
                            env=clean_environment(), capture_output=True, text=True, timeout=WAIT_SECONDS, check=True)
    return result.stdout.strip()


def test_make_token_is_accepted_by_the_dev_server_across_reloads_and_restarts(postgres: LocalPostgres,
                                                                              tmp_path: Path) -> None:
    token = make_token("alice")
    with dev_server(postgres, tmp_path) as server:
        assert get(server, "/api/alice/tasks", token).status_code == 200
        assert get(server, "/api/bob/tasks", token).status_code == 403  # it is alice's token, nobody else's
        with created(ROOT / "backend" / f"_reload_probe_{uuid.uuid4().hex}.py") as probe:
            wait_for(server, lambda: probe.name in server.log, "no reload seen")
        # removing the probe is a change too: wait for that second reload to finish before asking again
        wait_for(server, lambda: server.log.count("Reloading...") == 2 and healthy(server), "no second reload")
        assert get(server, "/api/alice/tasks", token).status_code == 200
    with dev_server(postgres, tmp_path) as restarted:
        assert get(restarted, "/api/alice/tasks", token).status_code == 200


def test_the_reloader_watches_the_source_folder_only_with_file_events(postgres: LocalPostgres,
                                                                      tmp_path: Path) -> None:
    outside = ROOT / ".data" / f"reload_probe_{uuid.uuid4().hex}.py"  # git-ignored, and not source
    with dev_server(postgres, tmp_path) as server:
        assert "using WatchFiles" in server.log
        with created(outside), created(ROOT / "backend" / f"_reload_probe_{uuid.uuid4().hex}.py") as probe:
            wait_for(server, lambda: probe.name in server.log, "no reload seen")
            reloads = server.log.count("Reloading...")
        assert reloads == 1
        assert outside.name not in server.log


def test_the_development_secret_is_private_and_never_committed() -> None:
    secret = dev.development_secret()
    path = ROOT / ".data" / "dev-secret"
    assert len(secret) >= 32 and path.read_text().strip() == secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert subprocess.run(["git", "check-ignore", "-q", str(path)], cwd=ROOT).returncode == 0
    assert secret == dev.development_secret()  # generated once


@pytest.mark.parametrize("arguments", [["token"], ["token", ""], ["tokens", "alice"]])
def test_a_wrong_command_line_says_how_to_call_it(arguments: list[str]) -> None:
    assert str(dev.main(arguments)).startswith("usage:")
