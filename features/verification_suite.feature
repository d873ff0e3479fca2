# FR-007 and SC-004 (specs/004-backend-deployment/spec.md): the suite itself. This file sorts last on purpose:
# the SC-004 scenario measures the live-safe scenarios that ran before it.
Feature: Verification suite
  The suite runs against any live URL, safely, and fast enough to run after every deployment.

  @FR-007 @adr-0013 @adr-0019
  Scenario: The verification suite runs against a live external URL
    Given the suite is given only a `BASE_URL`
    Then it refuses to start, naming `BETTER_AUTH_SECRET` and `ALLOWED_ORIGIN`
    Given the suite is given a `BASE_URL`, `BETTER_AUTH_SECRET` and `ALLOWED_ORIGIN`
    Then it targets that URL in live mode and skips `@local` scenarios with a recorded reason
    And this run reached its target over the network, reusing its connections

  @SC-004 @adr-0013
  Scenario: The live-safe scenarios finish in under 60 seconds
    Given the live-safe scenarios of this run have finished
    Then they took less than 60 seconds together
