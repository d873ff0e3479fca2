"""A tiny document model: the report is built once and rendered twice (Markdown and HTML), so both always agree
and every value goes through exactly one escaping function per format."""

from __future__ import annotations

from dataclasses import dataclass, field

from audit.model import Status


@dataclass(frozen=True)
class Text:
    value: str
    code: bool = False
    strong: bool = False


@dataclass(frozen=True)
class Link:
    text: str
    href: str


@dataclass(frozen=True)
class Badge:
    status: Status


@dataclass(frozen=True)
class Break:
    """A line break inside a table cell."""


Inline = Text | Link | Badge | Break


@dataclass(frozen=True)
class Paragraph:
    inlines: tuple[Inline, ...]


@dataclass(frozen=True)
class Bullets:
    items: tuple[tuple[Inline, ...], ...]


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[tuple[Inline, ...], ...], ...]


@dataclass(frozen=True)
class CodeBlock:
    text: str


Block = Paragraph | Bullets | Table | CodeBlock


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Document:
    title: str
    verdict: str  # the verdict line
    outcome: str  # PASSED, FAILED or NOT RUN (audit.verdict)
    sections: list[Section]

    def links(self) -> list[str]:
        """Every href in the document, for the dead-link check."""
        found: list[str] = []
        for section in self.sections:
            for block in section.blocks:
                for inlines in _inline_groups(block):
                    found += [inline.href for inline in inlines if isinstance(inline, Link)]
        return found


def _inline_groups(block: Block) -> list[tuple[Inline, ...]]:
    if isinstance(block, Paragraph):
        return [block.inlines]
    if isinstance(block, Bullets):
        return list(block.items)
    if isinstance(block, Table):
        return [cell for row in block.rows for cell in row]
    return []
