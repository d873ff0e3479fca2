"""Install a Debian package the tests need, when it is missing and this user may (root, or password-less sudo).

``make test`` calls this for PgBouncer (``pgbouncer.py``) and HAProxy (``tls_edge.py``); where it may not, the
caller prints one line and the tests that need the package skip themselves. It never fails the build.
"""

from __future__ import annotations

import os
import shutil
import subprocess


def install_package(package: str) -> None:
    """``apt-get install -y --no-install-recommends PACKAGE``, once more after ``apt-get update`` if that fails."""
    if shutil.which("apt-get") is None:
        return
    if os.geteuid() == 0:
        sudo: list[str] = []
    elif shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0:
        sudo = ["sudo", "-n"]
    else:
        return
    apt = [*sudo, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-qq"]
    print(f"installing {package} (apt-get install {package}) for the tests that need it …", flush=True)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    install_command = [*apt, "install", "-y", "--no-install-recommends", package]
    if subprocess.run(install_command, **quiet).returncode != 0:  # a fresh machine has no package lists yet
        subprocess.run([*apt, "update"], **quiet)
        subprocess.run(install_command, **quiet)
