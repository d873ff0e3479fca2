# Spec: specs/004-backend-deployment/spec.md, User Story 1. The Given/When/Then lines are the spec's own words;
# `python -m audit.traceability` fails if they drift. Extra `And` lines are checks beyond the spec's text.
# @checkout: the scenario also reads the repository checkout (settings, code), not only the target.
Feature: Secure Production Infrastructure
  As a system architect, I want the backend to be configured with production-grade settings for Railway and Neon
  so that the application is secure, scalable, and reliable.

  @US1.1 @P1 @FR-001 @FR-006 @adr-0001 @adr-0011 @adr-0017 @adr-0021
  Scenario: The service binds to Railway's dynamic PORT and runs as production
    Given a production environment on Railway
    When the application starts
    Then it binds to the dynamic `PORT` provided by the platform
    And correctly interprets the environment as `production`
    And it shows no debug output: unknown routes and malformed bodies get short JSON errors
    And malformed path parameters, query parameters, bodies, encodings and sizes get a short `4xx` JSON error, never a `5xx`, a traceback, SQL or a connection string
    And no response header names the server software or the framework

  @US1.2 @P1 @FR-003 @adr-0002 @adr-0003 @adr-0004 @adr-0010 @adr-0012 @adr-0018 @checkout
  Scenario: The backend reaches Neon through asyncpg with a pool tuned for it
    Given a Neon PostgreSQL database
    When the backend initializes
    Then it establishes a connection using the `postgresql+asyncpg://` protocol with optimized connection pooling
    And the service answers a burst of concurrent requests larger than its pool without an error

  @US1.3 @P1 @SC-002 @adr-0005 @checkout @adr-0021
  Scenario: Secrets come from the environment only, with no hard-coded fallback
    Given a production deployment
    When sensitive configuration is required
    Then the system retrieves values (like `JWT_SECRET`) exclusively from environment variables with no hardcoded fallbacks allowed
    And the service trusts tokens signed with the secret from its environment, and no other key
    And a token signed with a well-known default key, or with a key it carries itself, is refused
