"""What every step can reach through ``context.suite``: the configuration, the one HTTP client, the token mint,
the local rehearsal (local mode only) and the run record that becomes reports/run.json.

The run record is the audit report's evidence of *this* run (history/adr/0015-audit-report-generated-from-results.md):
why the suite did not run, when it did not (``stopped``), and what each scenario exercised (``exercised``,
e.g. the database path US1.2 went through), so an ADR is confirmed only by what this run really did.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from steps.support.config import SuiteConfig
from steps.support.http import Api
from steps.support.tokens import TokenMint


class SuiteNotRun(Exception):
    """The suite cannot run at all (unconfigured, target unreachable, token rejected, rehearsal failed to start).

    ``reason`` is the short verdict ("target unreachable"); ``detail`` the error text behind it."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass
class ScenarioTiming:
    name: str
    location: str
    tags: list[str]
    status: str
    seconds: float
    live_safe: bool
    exercised: dict[str, str] = field(default_factory=dict)


@dataclass
class RunRecord:
    started_at: str
    started: float = field(default_factory=time.monotonic)
    suite_commit: str | None = None  # the checkout's commit: what @checkout scenarios describe
    target: str | None = None
    mode: str | None = None
    version: str | None = None
    health_latency_ms: float | None = None
    database_path: str | None = None
    stopped: dict[str, str] | None = None  # {"reason": …, "error": …} when the suite did not run (to the end)
    edge: str | None = None  # local mode: what stood in for Railway's TLS edge, or why nothing did
    tls_edge: bool = False
    scenarios: list[ScenarioTiming] = field(default_factory=list)
    exercising: dict[str, str] = field(default_factory=dict)  # facts of the scenario in progress
    not_run: dict[str, str] = field(default_factory=dict)  # scenario → reason
    local_only_checks: dict[str, str] = field(default_factory=dict)  # scenario tag → check a live run cannot make
    notes: list[str] = field(default_factory=list)

    def exercise(self, fact: str, value: str) -> None:
        """Record what the running scenario really exercised (ADR ``confirmed-when`` conditions read it)."""
        self.exercising[fact] = value

    def finish_scenario(self, timing: ScenarioTiming) -> None:
        timing.exercised = dict(self.exercising)
        self.exercising.clear()
        self.scenarios.append(timing)

    def live_safe_seconds(self) -> float:
        return sum(item.seconds for item in self.scenarios if item.live_safe and item.status != "skipped")

    def live_safe_count(self) -> int:
        return sum(1 for item in self.scenarios if item.live_safe and item.status != "skipped")

    def scenario_dicts(self) -> list[dict[str, Any]]:
        return [asdict(item) for item in self.scenarios]


@dataclass
class Suite:
    config: SuiteConfig
    api: Api
    mint: TokenMint
    record: RunRecord
    rehearsal: Any = None  # backend.local.rehearsal.Rehearsal in local mode

    @property
    def is_live(self) -> bool:
        return self.config.is_live

    @property
    def allowed_origin(self) -> str:
        assert self.config.allowed_origin, "no allowed origin configured"
        return self.config.allowed_origin

    def require_rehearsal(self) -> Any:
        assert self.rehearsal is not None, "this step controls the local rehearsal; it is tagged @local for a reason"
        return self.rehearsal
