"""The README is the operator's manual: every variable the service reads must be documented there."""

import re
from pathlib import Path

from backend.settings import Settings, env_names

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
# A project tool called by its bare name, not as .venv/bin/<tool> (nor part of another word or path).
BARE_TOOL = re.compile(r"(?<![\w/.-])(?<!-m )(python3?|behave|detect-secrets|pytest|ruff|honcho|uvicorn|pip)(?= )")


def test_every_setting_is_documented_in_the_readme() -> None:
    missing = [name.upper() for name in Settings.model_fields
               if not any(f"`{variable}`" in README for variable in env_names(name))]
    assert missing == [], f"README's configuration table lacks: {missing}"


def test_readme_starts_with_the_two_commands() -> None:
    first_block = README.split("```")[1]
    assert "make verify" in first_block and "make test" in first_block


def code_in_readme() -> list[str]:
    """Every fenced block (without its language line) and every inline code span: what a reader copies."""
    fenced = README.split("```")
    blocks = [part.split("\n", 1)[1] if "\n" in part else "" for part in fenced[1::2]]
    prose = "".join(fenced[0::2])
    return blocks + re.findall(r"`([^`\n]+)`", prose)


def test_every_command_in_the_readme_works_after_the_set_up_command() -> None:
    """The project's tools live in .venv (``make install`` or any README make target creates it): a bare
    ``python -m …`` or ``behave`` finds the system's Python, without the pinned packages."""
    bare = [code for code in code_in_readme() if BARE_TOOL.search(code)]
    assert bare == [], "call these through make or .venv/bin/: " + "; ".join(bare)
