"""The text of the two tiny behave projects the audit tests record (``conftest.record``): a spec, ADR titles,
step definitions, hooks and two feature files (a green run and a mixed one with every outcome behave has)."""

NOT_RUN_REASON = "needs control of the process; not run against a live URL"

SPEC = """# Feature Specification: Fixture

## User Scenarios & Testing

### User Story 1 - Fixture service (Priority: P1)

**Acceptance Scenarios**:

1. **Given** a service, **When** it starts, **Then** it answers on `PORT`.
2. **Given** a database, **When** the service connects, **Then** it pools connections.

---

### Edge Cases

- **Database Connection Dropout**: What happens when the database drops? (Expectation: a 503.)

## Requirements

- **FR-001**: System MUST bind the port.
- **FR-002**: System MUST ship a Procfile.
- **FR-003**: System MUST pool connections.

## Success Criteria

- **SC-001**: The service answers a health check within 5 minutes.
"""

ADRS = {
    "0001-dynamic-port.md": ("accepted", "Bind the platform's port", "The process binds $PORT and nothing else"),
    "0002-pool-sizing.md": ("accepted", "Size the pool for the database", None),
    "0003-proposed-idea.md": ("proposed", "An idea nobody confirmed yet", None),
}

STEPS = '''
import os
import secrets

import jwt
from behave import step


@step("a step that passes")
def passes(context):
    assert True


@step('a step fails saying "{message}"')
def fails(context, message):
    token = jwt.encode({"sub": "someone"}, secrets.token_urlsafe(32), algorithm="HS256")
    secret = os.environ["BETTER_AUTH_SECRET"]
    assert False, f"{message}; request had Authorization: Bearer {token}; secret={secret}"


@step('a step that raises "{message}"')
def raises(context, message):
    raise RuntimeError(message)


@step("a number {n:d} below 10")
def below_ten(context, n):
    assert n < 10, f"{n} is not below 10"
'''

ENVIRONMENT = '''
import json
import os


def before_all(context):
    context.ran = []


def before_scenario(context, scenario):
    if "local" in scenario.effective_tags and os.environ.get("FIXTURE_MODE") == "live":
        scenario.skip("live mode")
    if "hook_boom" in scenario.effective_tags:
        raise RuntimeError("hook exploded")


def after_scenario(context, scenario):
    context.ran.append({"name": scenario.name, "location": str(scenario.location), "status": scenario.status.name,
                        "exercised": {}})


def after_all(context):
    """The run record as the real suite writes it: the run's metadata and every scenario as it ended."""
    run = json.loads(os.environ["FIXTURE_RUN"])
    os.makedirs("reports", exist_ok=True)
    with open("reports/run.json", "w", encoding="utf-8") as record:
        json.dump({**run, "scenarios": context.ran}, record)
'''

GREEN = """@FR-001 @adr-0001
Feature: Green fixture
  Background:
    Given a step that passes

  @US1.1 @adr-0002
  Scenario: the service answers
    Given a step that passes

  @US1.2 @checkout
  Scenario: the pool is used
    Given a step that passes

  @FR-002
  Scenario Outline: outline row <n>
    Given a number <n> below 10

    Examples:
      | n |
      | 1 |
      | 2 |

  @EC1
  Scenario: dropout recovers
    Given a step that passes

  @EC1 @local
  Scenario: the database is stopped under the app
    Given a step that passes

  @SC-001 @local
  Scenario: needs control of the process
    Given a step that passes

  @FR-003
  Rule: pooling rules
    Scenario: a scenario inside a rule
      Given a step that passes
"""

MIXED = """@FR-001 @adr-0001
Feature: Mixed fixture
  @US1.1 @adr-0002
  Scenario: passes
    Given a step that passes

  @US1.1
  Scenario: a <b>bold</b> & <script>alert(1)</script> | name
    Given a step that passes

  @US1.2
  Scenario: fails with a message
    Given a step that passes
    When a step fails saying "expected 200, got 503"
    Then a step that passes

  @EC1
  Scenario: a step raises
    Given a step that raises "database unreachable"

  @FR-002 @hook_boom
  Scenario: a hook raises
    Given a step that passes

  @FR-002
  Scenario Outline: outline row <n>
    Given a number <n> below 10

    Examples:
      | n  |
      | 1  |
      | 12 |

  @SC-001 @local
  Scenario: needs control of the process
    Given a step that passes

  @US1.1 @adr-0099
  Scenario: names a missing decision
    Given a step that passes
"""
