"""The Node checks skip with one line saying why, and only when they cannot run (tests/node_projects.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import node_projects
from tests.node_projects import node_project_missing


def test_without_node_the_reason_is_one_line_naming_node(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setattr(node_projects.shutil, "which", lambda name: None)
    reason = node_project_missing(tmp_path, "better-auth")
    assert reason is not None and reason.startswith("node is not installed") and "\n" not in reason


def test_with_node_but_no_npm_ci_the_reason_names_the_make_target(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setattr(node_projects.shutil, "which", lambda name: "/usr/bin/node")
    reason = node_project_missing(tmp_path, "better-auth")
    assert reason is not None and "make node-deps" in reason


def test_with_node_and_the_package_installed_nothing_is_skipped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setattr(node_projects.shutil, "which", lambda name: "/usr/bin/node")
    (tmp_path / "node_modules" / "better-auth").mkdir(parents=True)
    assert node_project_missing(tmp_path, "better-auth") is None
