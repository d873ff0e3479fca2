"""What every step can reach through ``context.suite``: the configuration, the one HTTP client, the token mint,
the local rehearsal (local mode only) and the run record that becomes reports/run.json (``audit.run``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit.run import RunRecord
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
class Suite:
    config: SuiteConfig
    api: Api
    mint: TokenMint
    record: RunRecord
    reports: Path  # where this run's results go (behave.ini's userdata, or -D reports=…)
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
