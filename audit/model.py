"""Plain data shared by the parsers, the analysis and the renderers."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Status(StrEnum):
    """Outcome of a scenario, or of a spec item / ADR aggregated over its scenarios."""

    PASSED = "passed"
    FAILED = "failed"
    ERRORED = "errored"
    NOT_RUN = "not run"
    NO_SCENARIO = "no scenario"


# Worst first: an aggregate takes the first of these that any of its scenarios has.
SEVERITY = (Status.FAILED, Status.ERRORED, Status.PASSED, Status.NOT_RUN)


@dataclass(frozen=True)
class StepFailure:
    """A step (or hook) that did not pass, with the message behave gave for it."""

    step: str
    status: Status
    message: str


@dataclass
class Scenario:
    """One executed (or skipped) scenario; outline rows are separate scenarios, as behave reports them."""

    feature: str
    name: str
    location: str
    tags: frozenset[str]
    status: Status
    behave_status: str
    not_run_reason: str | None = None
    failures: list[StepFailure] = field(default_factory=list)
    exercised: dict[str, str] = field(default_factory=dict)  # facts the run record says it exercised

    @property
    def label(self) -> str:
        return f"{self.name} ({self.location})" if self.location else self.name


def aggregate(statuses: list[Status]) -> Status:
    """Failed beats errored beats passed beats not run; nothing at all is "no scenario", never "passed"."""
    if not statuses:
        return Status.NO_SCENARIO
    for status in SEVERITY:
        if status in statuses:
            return status
    return Status.NO_SCENARIO
