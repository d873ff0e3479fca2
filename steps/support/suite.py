"""What every step can reach through ``context.suite``: the configuration, the one HTTP client, the token mint,
the local rehearsal (local mode only) and the run record that becomes reports/run.json."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from steps.support.config import SuiteConfig
from steps.support.http import Api
from steps.support.tokens import TokenMint


@dataclass
class ScenarioTiming:
    name: str
    tags: list[str]
    status: str
    seconds: float
    live_safe: bool


@dataclass
class RunRecord:
    started_at: str
    started: float = field(default_factory=time.monotonic)
    version: str | None = None
    health_latency_ms: float | None = None
    scenarios: list[ScenarioTiming] = field(default_factory=list)
    not_run: dict[str, str] = field(default_factory=dict)  # scenario → reason
    local_only_checks: dict[str, str] = field(default_factory=dict)  # scenario tag → check a live run cannot make
    notes: list[str] = field(default_factory=list)

    def live_safe_seconds(self) -> float:
        return sum(item.seconds for item in self.scenarios if item.live_safe and item.status != "skipped")

    def live_safe_count(self) -> int:
        return sum(1 for item in self.scenarios if item.live_safe and item.status != "skipped")


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
