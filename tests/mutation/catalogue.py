"""Every fault the stage injects, by name. Add a fault here and the stage, the report and the tests pick it up."""

from __future__ import annotations

from tests.mutation.fault import Fault
from tests.mutation.faults_auth import AUTH_FAULTS
from tests.mutation.faults_data import HEALTH_FAULTS, INPUT_FAULTS, ISOLATION_FAULTS
from tests.mutation.faults_edge import CORS_FAULTS, DOCS_FAULTS, EDGE_ROBUSTNESS_FAULTS

FAULTS: dict[str, Fault] = {fault.name: fault for fault in [
    *CORS_FAULTS, *DOCS_FAULTS, *HEALTH_FAULTS, *AUTH_FAULTS, *ISOLATION_FAULTS, *EDGE_ROBUSTNESS_FAULTS,
    *INPUT_FAULTS,
]}


def fault_named(name: str) -> Fault:
    if name not in FAULTS:
        raise KeyError(f"no fault named {name!r}; known: {', '.join(FAULTS)}")
    return FAULTS[name]
