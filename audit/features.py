"""The feature files as behave itself reads them: one walk over behave's parser for every consumer (the report's
list of declared scenarios, the traceability check, the US3 steps, the mutation catalogue's tests)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from audit.links import show
from audit.spec import words


@dataclass(frozen=True)
class FeatureScenario:
    feature: str
    name: str
    location: str  # features/us1_….feature:12, relative to the root given to ``read_features``
    tags: frozenset[str]  # effective tags: the feature's (and rule's) included
    steps: tuple[tuple[str, str], ...]  # (given|when|then, words) with `And`/`But` resolved to the kind before


def read_features(folder: Path, root: Path | None = None, warnings: list[str] | None = None) -> list[FeatureScenario]:
    """Every scenario (outline rows included) of every ``*.feature`` below ``folder``, in file order. A file behave
    cannot parse is a warning when ``warnings`` is given, else behave's ParserError."""
    from behave.parser import ParserError, parse_file

    root = root if root is not None else folder.parent
    found: list[FeatureScenario] = []
    for path in sorted(folder.rglob("*.feature")):
        relative = show(path, root)
        try:
            feature = parse_file(str(path))
        except ParserError as error:
            if warnings is None:
                raise
            warnings.append(f"{relative} does not parse ({error}); its scenarios are taken from the results only")
            continue
        for scenario in feature.walk_scenarios() if feature is not None else ():
            found.append(FeatureScenario(
                feature=feature.name, name=scenario.name.strip(), location=f"{relative}:{scenario.location.line}",
                tags=frozenset(str(tag) for tag in scenario.effective_tags),
                steps=tuple((step.step_type, words(step.name)) for step in scenario.steps),
            ))
    return found
