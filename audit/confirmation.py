"""Is an ADR confirmed *in this run*? Only by a scenario that exercised what the ADR decides, and passed.

The rule: an ADR is confirmed in this run when at least one scenario tagged ``@adr-NNNN`` passed and, if the ADR's
front matter says ``confirmed-when: fact=value[, fact=value]``, that scenario recorded those facts as exercised
(``reports/run.json`` → ``scenarios[].exercised``, written by the steps through ``audit.run.RunRecord.exercise``).
Example:
ADR 0003 (PgBouncer transaction mode) has ``confirmed-when: database_path=pgbouncer-transaction``; a rehearsal
on a direct connection (PgBouncer not installed) or a live run (whose database path /health does not reveal)
passes US1.2 without confirming ADR 0003, and the report says so and why.
A condition's fact that no passing scenario recorded at all (not even as another value) means the step that
exercises the decision is gone: ``unrecorded`` names it, and the report counts that as a problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from audit.adrs import Adr
from audit.model import Scenario, Status


@dataclass(frozen=True)
class Confirmation:
    confirmed: bool
    why: str  # by which scenario, or why not
    unrecorded: tuple[str, ...] = ()  # condition facts that no passing scenario recorded: the suite lost a check


def confirm(adr: Adr, scenarios: Sequence[Scenario]) -> Confirmation:
    """``scenarios``: those tagged with the ADR."""
    if not scenarios:
        return Confirmation(False, f"no scenario carries @{adr.tag}")
    passed = [scenario for scenario in scenarios if scenario.status is Status.PASSED]
    if not passed:
        statuses = ", ".join(sorted({scenario.status.value for scenario in scenarios}))
        return Confirmation(False, f"none of its {len(scenarios)} scenario(s) passed in this run ({statuses})")
    exercising = [scenario for scenario in passed
                  if all(scenario.exercised.get(fact) == value for fact, value in adr.conditions.items())]
    if exercising:
        return Confirmation(True, f"by {exercising[0].name}" + (f" (exercised {_facts(adr.conditions)})"
                                                                   if adr.conditions else ""))
    seen = sorted({_facts({fact: scenario.exercised.get(fact, "not recorded") for fact in adr.conditions})
                   for scenario in passed})
    unrecorded = tuple(fact for fact in sorted(adr.conditions)
                       if not any(fact in scenario.exercised for scenario in passed))
    return Confirmation(False, f"its scenarios passed, but none exercised {_facts(adr.conditions)} in this run "
                               f"(this run: {'; '.join(seen)})", unrecorded)


def _facts(facts: dict[str, str]) -> str:
    return ", ".join(f"{fact}={value}" for fact, value in sorted(facts.items()))
