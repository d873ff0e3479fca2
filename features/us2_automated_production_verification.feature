# Spec: specs/004-backend-deployment/spec.md, User Story 2. The Given/When/Then lines are the spec's own words;
# `python -m audit.traceability` fails if they drift. Extra `And` lines are checks beyond the spec's text.
Feature: Automated Production Verification
  As a developer, I want an automated test suite that runs against the live production environment so that I can
  immediately confirm the deployment's health and security compliance.

  @US2.1 @P2 @FR-005 @SC-001 @adr-0009
  Scenario: The health check is deep: it proves the Neon connection
    Given the live Railway URL
    When a deep-health check is requested at `/health`
    Then the system returns a `200 OK` status only if the Neon database connection is active and responsive
    And the body proves the database round trip and reveals nothing an attacker could use

  @US2.2 @P2 @FR-004 @SC-003 @adr-0006 @adr-0020
  Scenario: CORS admits the Vercel production origin and nothing else
    Given the production endpoint
    When a request is made from a non-Vercel domain
    Then CORS headers strictly deny access, while allowing requests from the authorized Vercel production URL
    And the authorized origin's preflight allows the methods and headers the frontend sends

  @US2.3 @P2 @adr-0007 @adr-0008 @adr-0021
  Scenario: Another user's valid token reaches none of a user's tasks
    Given a valid JWT token from another user
    When attempting to access private tasks
    Then the production system strictly enforces user isolation
    And returns unauthorized/not-found
    And the owner's task is unchanged when its owner reads it back
    And every query path of the task list, each filter and paging combination alone, shows the other user only their own tasks
    And a token that is missing, garbage, wrongly signed, unsigned (`alg: none`), expired (even by only twice the largest leeway), without expiry or without subject gets `401`
