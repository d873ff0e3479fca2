"""Everything the report is generated from (``Inputs``) and every check that decides its verdict (``Analysis``):
the generator fails when the suite failed, a spec item has no scenario, a tag names a spec item or an ADR that does
not exist, an accepted ADR is carried by no scenario, or a link is dead (``audit.links``). When a run counts as not
run is ``audit.verdict``'s rule, when an ADR is confirmed ``audit.confirmation``'s, how an item's result aggregates
its scenarios ``audit.model``'s.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audit.adrs import Adr, adr_number
from audit.confirmation import Confirmation, confirm
from audit.inventory import Endpoint, EnvVar
from audit.links import show
from audit.model import Scenario, Status, aggregate
from audit.run import RunRecord
from audit.scope import version_mismatch
from audit.spec import SPEC_ID, SpecItem
from audit.traceability import known_ids, tag_problem, unclaimed
from audit.verdict import Verdict, decide


@dataclass
class Inputs:
    """Everything the report is generated from, already parsed and redacted."""

    scenarios: list[Scenario]
    run: RunRecord | None  # None: no run record (the verdict is NOT RUN)
    spec: list[SpecItem]
    adrs: list[Adr]
    endpoints: list[Endpoint]
    variables: list[EnvVar]
    adr_dir: Path
    out_dir: Path
    root: Path
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # why the results could not be read (→ NOT RUN)
    power: dict[str, Any] | None = None  # reports/mutation.json (make mutation), for "Verification power"

    @property
    def record(self) -> RunRecord:
        """The run record, or an empty one (every field unknown) when there is none."""
        return self.run or RunRecord()


class Analysis:
    """Index of scenarios by tag, and every check that decides the verdict."""

    def __init__(self, inputs: Inputs) -> None:
        self.inputs = inputs
        self.by_tag: dict[str, list[Scenario]] = {}
        for scenario in inputs.scenarios:
            for tag in scenario.tags:
                self.by_tag.setdefault(tag, []).append(scenario)
        self.adrs = {adr.number: adr for adr in inputs.adrs}
        self.counts = Counter(scenario.status for scenario in inputs.scenarios)
        self.problems = list(inputs.problems)
        self.warnings = list(inputs.warnings)
        self._check()

    def scenarios(self, tag: str) -> list[Scenario]:
        return self.by_tag.get(tag, [])

    def result(self, tag: str) -> Status:
        return aggregate([scenario.status for scenario in self.scenarios(tag)])

    def verdict(self) -> Verdict:
        return decide(self.inputs.run, self.inputs.scenarios, self.inputs.unreadable, self.problems)

    def confirmation(self, adr: Adr) -> Confirmation:
        return confirm(adr, self.scenarios(adr.tag))

    @property
    def live(self) -> bool:
        return self.inputs.record.mode == "live"

    def adr_href(self, adr: Adr) -> str:
        return Path(os.path.relpath(adr.path, self.inputs.out_dir)).as_posix()

    def _check(self) -> None:
        failed, errored = self.counts[Status.FAILED], self.counts[Status.ERRORED]
        if failed or errored:
            self.problems.append(f"the suite failed: {failed} failed and {errored} errored scenario(s) (section 9)")
        for item in self.inputs.spec:
            if not self.scenarios(item.id):
                self.problems.append(f"{item.id} has no scenario: nothing in the suite evidences it")
        known = known_ids(self.inputs.spec)
        for tag in sorted(self.by_tag):  # spec ids and ADRs; other tags are the suite's markers (FR-007's check)
            number = adr_number(tag)
            if (SPEC_ID.match(tag) or number) and (reason := tag_problem(tag, known, self.adrs)):
                where = f": no {show(self.inputs.adr_dir, self.inputs.root)}/{number}-*.md" if number else ""
                self.problems.append(f"@{tag} {reason}{where} (on: {_names(self.by_tag[tag])})")
        for adr in self.inputs.adrs:
            tagged = self.scenarios(adr.tag)
            if adr.is_accepted and not tagged:
                self.problems.append(f"{adr.path.name} is accepted but no scenario carries @{adr.tag}")
            elif adr.is_accepted and not (confirmation := self.confirmation(adr)).confirmed:
                self.warnings.append(f"{adr.path.name} is not confirmed in this run: {confirmation.why}")
                if confirmation.unrecorded:
                    self.problems.append(f"{adr.path.name}: its scenarios passed without recording "
                                         f"{', '.join(confirmation.unrecorded)}: no step exercises what it decides")
            missing = unclaimed(adr, (tag for scenario in tagged for tag in scenario.tags))
            if tagged and missing:
                self.warnings.append(f"{adr.path.name} lists {', '.join('@' + t for t in missing)} under "
                                     f"Confirmation, but no scenario tagged @{adr.tag} carries it")
        if mismatch := version_mismatch(self.inputs.record):
            self.warnings.append(mismatch)


def _names(scenarios: list[Scenario]) -> str:
    names = [scenario.label for scenario in scenarios[:3]]
    return "; ".join(names) + (f"; … {len(scenarios) - 3} more" if len(scenarios) > 3 else "")
