# Functional requirements and success criteria that no spec acceptance scenario covers on its own
# (specs/004-backend-deployment/spec.md). Each scenario carries the FR/SC ids it evidences; @checkout marks those
# that read the repository checkout rather than the target (the report names the commit they describe).
Feature: Production hardening
  The Railway process, closed API docs, a health check Railway can reach, and no secret in the codebase.

  @FR-002 @adr-0001 @checkout
  Scenario: A root Procfile declares Railway's web process
    Given the repository's root `Procfile`
    Then it declares exactly one `web` process
    And the web process execs uvicorn on `0.0.0.0:$PORT`, trusting the proxy's headers, with a graceful-shutdown timeout

  @FR-006 @adr-0011 @adr-0021
  Scenario: Interactive API documentation is closed in production
    Given the production endpoint
    When the interactive documentation is requested
    Then `/docs`, `/redoc`, `/openapi.json` and `/docs/oauth2-redirect` each answer `404` without revealing the schema
    And the same documents under the common prefixes `/api`, `/api/v1` and `/v1` answer `404` too

  @SC-001 @adr-0001 @adr-0009 @adr-0014
  Scenario: The service answers its health check within 5 minutes of deployment
    Given the production endpoint
    When the health check is requested as Railway's healthcheck requests it
    Then it answers `200` within the 5-minute deployment budget

  @SC-002 @adr-0005 @adr-0016 @checkout
  Scenario: No production secret is in the codebase
    Given the repository checkout
    When it is scanned for secrets with detect-secrets against the reviewed baseline
    Then no secret outside the reviewed baseline is found
    And every entry of the baseline has been reviewed as a false positive
    And the scanner flags a secret planted in a temporary file
    And no setting marked secret has a default value
