"""The README's two commands on a fresh machine (issue 8, items 7, 8, 10).

- Without PgBouncer, ``make test`` installs it where this user may (root, or sudo without a password); where it
  may not, its tests are skipped with one line saying how to enable them, never reported as errors.
- As root with the checkout in a private folder (0700, like /root), the embedded PostgreSQL still starts: it runs as
  the ``pgserver`` user, who cannot reach the checkout's binaries, so it runs a linked copy instead.
- Every temporary folder a run makes is removed when it ends: normally, on a failure, on Ctrl-C.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.local import pgbouncer
from backend.local.checkout import clean_environment
from backend.local.postgres import PGINSTALL, LocalPostgres, copy_install
from backend.local.processes import port_accepts
from backend.local.rehearsal import ROOT, Rehearsal

WAIT_SECONDS = 60


@pytest.fixture
def scratch_tmp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty temporary folder standing in for /tmp, so that what a run leaves behind can be listed."""
    folder = Path(tempfile.mkdtemp(prefix="scratch-tmp-"))
    folder.chmod(0o755)  # the pgserver user (root runs) must reach it, as it reaches /tmp
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ------------------------------------------------------------------------------------- item 7: PgBouncer


def test_without_pgbouncer_its_tests_are_skipped_with_one_line_saying_how_never_errors() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/backend/test_pgbouncer.py"],
        cwd=ROOT, env=clean_environment(PGBOUNCER=str(ROOT / "no-such-pgbouncer")), capture_output=True, text=True,
        timeout=WAIT_SECONDS,
    )
    output = result.stdout + result.stderr
    assert result.returncode == pytest.ExitCode.NO_TESTS_COLLECTED, output  # the module skipped, nothing failed
    assert "error" not in output.lower(), output
    skipped = [line for line in output.splitlines() if line.startswith("SKIPPED")]
    assert len(skipped) == 1 and pgbouncer.MISSING in skipped[0], output


@pytest.fixture
def machine_without_pgbouncer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PATH holds only a recording ``apt-get`` and a ``sudo`` that wants a password; Debian's path is empty."""
    calls = tmp_path / "calls"
    for name, body in {"apt-get": f'echo "apt-get $*" >> {calls}', "sudo": "exit 1"}.items():
        tool = tmp_path / name
        tool.write_text(f"#!/bin/sh\n{body}\n")
        tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    monkeypatch.delenv("PGBOUNCER", raising=False)
    monkeypatch.setattr(pgbouncer, "DEBIAN_PATH", str(tmp_path / "no-pgbouncer"))
    if shutil.which("pgbouncer", path=f"{tmp_path}:/usr/bin:/bin"):
        pytest.skip("pgbouncer is installed in /usr/bin or /bin: cannot simulate its absence")
    return calls


def test_make_test_installs_pgbouncer_itself_as_root(machine_without_pgbouncer: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert pgbouncer.install() == 0
    assert "install -y --no-install-recommends pgbouncer" in machine_without_pgbouncer.read_text()


def test_where_it_cannot_install_it_says_how_to_enable_the_tests_and_does_not_fail(
    machine_without_pgbouncer: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)  # not root, and sudo wants a password
    assert pgbouncer.install() == 0
    assert not machine_without_pgbouncer.exists()  # apt-get never ran
    assert capsys.readouterr().out.splitlines() == [f"{pgbouncer.MISSING}; skipping its tests."]


# ------------------------------------------------------------------- item 8: a private checkout, as root


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs PostgreSQL as another user")
def test_as_root_postgres_runs_from_a_checkout_in_a_private_folder(scratch_tmp: Path) -> None:
    private = scratch_tmp / "root-home"
    private.mkdir(mode=0o700)
    install = copy_install(PGINSTALL, private / "checkout" / ".venv")  # as a checkout under /root has it
    server = LocalPostgres(install=install)
    try:
        assert server.start().psql("SELECT 1") == "1"
    finally:
        server.close()
    assert stat.S_IMODE(private.stat().st_mode) == 0o700  # the user's folder was not widened
    assert [path.name for path in scratch_tmp.iterdir()] == ["root-home"]


# ------------------------------------------------------------------------ item 10: nothing left behind


def test_a_rehearsal_that_fails_to_start_leaves_no_folder_and_no_process(scratch_tmp: Path) -> None:
    rehearsal = Rehearsal(extra_environment={"BETTER_AUTH_SECRET": "too-short"})  # production refuses to start
    with pytest.raises(RuntimeError, match="web process exited"):
        rehearsal.start()
    assert list(scratch_tmp.iterdir()) == []
    assert not port_accepts(rehearsal.postgres.port)


def test_ctrl_c_during_a_rehearsal_removes_its_folders_and_stops_what_it_started(scratch_tmp: Path) -> None:
    # Ctrl-C raises KeyboardInterrupt as in a terminal, even when this test runs in a background job (which
    # starts with SIGINT ignored).
    script = ("import signal, time\nsignal.signal(signal.SIGINT, signal.default_int_handler)\n"
              "from backend.local.rehearsal import Rehearsal\nr = Rehearsal().start()\n"
              "print(r.port, r.postgres.port, flush=True)\ntime.sleep(600)\n")
    process = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                               env=clean_environment(TMPDIR=str(scratch_tmp), PYTHONPATH=str(ROOT)))
    try:
        assert process.stdout is not None
        ports = [int(port) for port in process.stdout.readline().split()]
        assert len(ports) == 2 and all(port_accepts(port) for port in ports)
        assert list(scratch_tmp.iterdir()) != []
        process.send_signal(signal.SIGINT)
        process.wait(timeout=WAIT_SECONDS)
    finally:
        process.kill()
    assert list(scratch_tmp.iterdir()) == []
    assert not any(port_accepts(port) for port in ports)
