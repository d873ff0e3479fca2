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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from backend.local import dev
from backend.local.checkout import clean_environment
from backend.local.postgres import LocalPostgres, free_port
from backend.local.rehearsal import ROOT

WAIT_SECONDS = 60


@dataclass
class DevServer:
    port: int
    log_path: Path

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def get(self, path: str, token: str) -> httpx.Response:
        return httpx.get(f"http://127.0.0.1:{self.port}{path}", headers={"Authorization": f"Bearer {token}"},
                         timeout=10)

    def wait_for(self, predicate: object, what: str) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            if predicate():  # type: ignore[operator]
                return
            time.sleep(0.1)
        raise AssertionError(f"{what} within {WAIT_SECONDS}s:\n{self.log}")

    def healthy(self) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False


@contextmanager
def dev_server(postgres: LocalPostgres, tmp_path: Path) -> Iterator[DevServer]:
    port = free_port()
    log_path = tmp_path / f"dev-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "backend.local.dev"], cwd=ROOT, stdout=log,
                                   stderr=subprocess.STDOUT,
                                   env=clean_environment(DATABASE_URL=postgres.url, PORT=str(port)))
    server = DevServer(port, log_path)
    try:
        server.wait_for(lambda: process.poll() is None and server.healthy(), "make run did not answer /health")
        yield server
    finally:
        process.terminate()
        process.wait(timeout=WAIT_SECONDS)


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
        assert server.get("/api/alice/tasks", token).status_code == 200
        assert server.get("/api/bob/tasks", token).status_code == 403  # it is alice's token, nobody else's
        with created(ROOT / "backend" / f"_reload_probe_{uuid.uuid4().hex}.py") as probe:
            server.wait_for(lambda: probe.name in server.log, "no reload seen")
        # removing the probe is a change too: wait for that second reload to finish before asking again
        server.wait_for(lambda: server.log.count("Reloading...") == 2 and server.healthy(), "no second reload")
        assert server.get("/api/alice/tasks", token).status_code == 200
    with dev_server(postgres, tmp_path) as restarted:
        assert restarted.get("/api/alice/tasks", token).status_code == 200


def test_the_reloader_watches_the_source_folder_only_with_file_events(postgres: LocalPostgres,
                                                                      tmp_path: Path) -> None:
    outside = ROOT / ".data" / f"reload_probe_{uuid.uuid4().hex}.py"  # git-ignored, and not source
    with dev_server(postgres, tmp_path) as server:
        assert "using WatchFiles" in server.log
        with created(outside), created(ROOT / "backend" / f"_reload_probe_{uuid.uuid4().hex}.py") as probe:
            server.wait_for(lambda: probe.name in server.log, "no reload seen")
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
