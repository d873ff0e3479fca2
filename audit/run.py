"""``reports/run.json``: the record of one suite run, kept by the suite's hooks (environment.py, the steps through
``context.suite.record``) and read by the report. One definition for both sides: its fields are the file's keys.

The record is the report's evidence of *this* run (history/adr/0015-audit-report-generated-from-results.md): why
the suite did not run, when it did not (``stopped``), and what each scenario exercised (``exercised``, e.g. the
database path US1.2 went through), so an ADR is confirmed only by what this run really did.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

WRITTEN = "written"
RUNNING = {WRITTEN: False}  # field metadata: what the suite keeps while running but never writes


@dataclass
class ScenarioRecord:
    name: str = ""
    location: str = ""
    tags: list[str] = field(default_factory=list)
    status: str = ""  # behave's status name
    seconds: float = 0.0
    live_safe: bool = False
    exercised: dict[str, str] = field(default_factory=dict)  # facts an ADR's confirmed-when may ask for


@dataclass
class RunRecord:
    target: str | None = None
    mode: str | None = None  # "live" or "local"
    stopped: dict[str, str] | None = None  # {"reason": …, "error": …} when the suite did not run (to the end)
    version: str | None = None  # as /health reports it
    started_at: str | None = None
    wall_seconds: float | None = None
    suite_commit: str | None = None  # the checkout's commit: what @checkout scenarios describe
    checkout_modified: bool = False
    behave_version: str | None = None
    database_path: str | None = None
    edge: str | None = None  # local mode: what stood in for Railway's TLS edge, or why nothing did
    not_rehearsed: list[str] | None = None  # what this mode cannot rehearse
    not_run_reason: dict[str, str] = field(default_factory=dict)  # "@tag" → why scenarios with it did not run
    not_run: dict[str, str] = field(default_factory=dict)  # scenario → reason
    local_only_checks: dict[str, str] = field(default_factory=dict)  # scenario tag → check a live run cannot make
    health_latency_ms: float | None = None
    ready_after_seconds: float | None = None
    live_safe_seconds: float | None = None
    requests: int = 0
    connections: int = 0
    scenarios: list[ScenarioRecord] | None = None  # None: the file lists none (it cannot be matched to the results)
    notes: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic, repr=False, compare=False, metadata=RUNNING)
    tls_edge: bool = field(default=False, repr=False, compare=False, metadata=RUNNING)
    exercising: dict[str, str] = field(default_factory=dict, repr=False, compare=False, metadata=RUNNING)

    def exercise(self, fact: str, value: str) -> None:
        """Record what the running scenario really exercised (ADR ``confirmed-when`` conditions read it)."""
        self.exercising[fact] = value

    def finish_scenario(self, scenario: ScenarioRecord) -> None:
        scenario.exercised = dict(self.exercising)
        self.exercising.clear()
        self.scenarios = [*(self.scenarios or []), scenario]

    def live_safe(self) -> list[ScenarioRecord]:
        """The live-safe scenarios that ran (not skipped)."""
        return [item for item in self.scenarios or [] if item.live_safe and item.status != "skipped"]

    def dumps(self) -> str:
        written = {item.name: getattr(self, item.name) for item in fields(self) if item.metadata.get(WRITTEN, True)}
        written["scenarios"] = [asdict(item) for item in self.scenarios or []]
        return json.dumps(written, indent=2)

    @classmethod
    def read(cls, path: Path, problems: list[str]) -> RunRecord | None:
        """The record in ``path``; None (and a problem saying why) when it is missing or not a record."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            problems.append(f"{path.name} does not exist: the run's target, version and timing are unknown")
            return None
        except json.JSONDecodeError as error:
            problems.append(f"{path.name} is not valid JSON ({error.msg})")
            return None
        if not isinstance(data, dict):
            problems.append(f"{path.name} is not a JSON object")
            return None
        if not data:
            return None
        known = {item.name for item in fields(cls) if item.metadata.get(WRITTEN, True)}
        record = cls(**{key: value for key, value in data.items() if key in known})
        if isinstance(record.scenarios, list):
            record.scenarios = [ScenarioRecord(**{key: value for key, value in item.items()
                                                  if key in ScenarioRecord.__dataclass_fields__})
                                for item in record.scenarios if isinstance(item, dict)]
        return record
