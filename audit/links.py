"""Relative links must open: in the report (from ``audit/``), in every ADR and in the ADR index."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

MARKDOWN_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def is_relative(href: str) -> bool:
    parts = urlsplit(href)
    return not parts.scheme and not parts.netloc and bool(parts.path)


def dead_links(hrefs: list[str], base: Path) -> list[str]:
    """The relative hrefs (fragment and query ignored) that name no existing file or folder under ``base``."""
    dead = []
    for href in hrefs:
        if is_relative(href) and not (base / unquote(urlsplit(href).path)).exists():
            dead.append(href)
    return list(dict.fromkeys(dead))


def markdown_links(path: Path) -> list[str]:
    """Inline link targets in a Markdown file, code spans and fenced blocks excluded."""
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
    text = re.sub(r"`[^`\n]*`", "", text)
    return MARKDOWN_LINK.findall(text)


def show(path: Path, root: Path) -> str:
    """A path relative to the repository root when possible: reports and messages never show absolute paths."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def adr_link_problems(adr_dir: Path, adr_files: list[str]) -> list[str]:
    """Dead relative links in the ADRs and their index, and ADRs the index does not list."""
    problems = [f"dead link in {path.name}: {href} does not exist"
                for path in sorted(adr_dir.glob("*.md")) for href in dead_links(markdown_links(path), adr_dir)]
    index = adr_dir / "README.md"
    if not index.exists():
        return [*problems, f"{index.name} (the ADR index) does not exist in {adr_dir.name}/"]
    listed = set(markdown_links(index))
    return problems + [f"the ADR index does not list {name}" for name in adr_files if name not in listed]
