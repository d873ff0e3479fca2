# Spec: specs/004-backend-deployment/spec.md, User Story 3. The Given/When/Then lines are the spec's own words;
# `python -m audit.traceability` fails if they drift. These scenarios read the checkout, not the server
# (@checkout): they are safe in live mode too, and the report says which commit they describe.
Feature: Architectural Transparency & Auditing
  As a project maintainer, I want every deployment decision to be documented with linkable ADRs and summarized in
  an audit report so that the system's infrastructure evolution is traceable.

  @US3.1 @P3 @SC-005 @checkout
  Scenario: Every significant deployment decision has an ADR with rationale and trade-offs
    Given a significant deployment decision (e.g., pooling strategy)
      | decision                                              | adr  |
      | Railway process: root Procfile and dynamic PORT       | 0001 |
      | pooling strategy for Neon                             | 0002 |
      | PgBouncer transaction mode                            | 0003 |
      | Neon URL normalization and TLS                        | 0004 |
      | secrets from the environment, failing fast            | 0005 |
      | CORS whitelist                                        | 0006 |
      | JWT library and algorithms                            | 0007 |
      | user isolation                                        | 0008 |
      | deep health check                                     | 0009 |
      | migrations as Railway's pre-deploy step               | 0010 |
      | API docs off in production                            | 0011 |
      | embedded PostgreSQL for local runs                    | 0012 |
      | acceptance suite: live URL and local rehearsal        | 0013 |
      | Railway healthcheck declared as code                  | 0014 |
      | audit report generated from the results               | 0015 |
      | secret scanning                                       | 0016 |
      | request hardening                                     | 0017 |
      | pool size confirmed by the benchmark                  | 0018 |
      | verification power measured by a mutation stage       | 0021 |
    When the deployment is finalized
    Then a corresponding ADR exists with rationale and tradeoffs
    And every ADR a scenario cites exists and names scenarios that confirm it

  @US3.2 @P3 @SC-005 @adr-0015 @checkout
  Scenario: The audit report lists endpoints, environment variables and security measures
    Given the completed deployment task
    When the agent finishes
    Then a summary report is produced listing all configured endpoints, environment variables, and security measures
    And every ADR link in the report opens
