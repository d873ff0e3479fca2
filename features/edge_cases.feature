# Spec: specs/004-backend-deployment/spec.md, Edge Cases (EC1 Database Connection Dropout, EC2 Missing Production
# Secrets, EC3 Dynamic Port Collision). They need control of the process and the database: @local, i.e. run in
# local mode (the rehearsal), reported as not run against a live URL.
Feature: Edge cases
  What production does when its database drops out, its secret is missing, or its port is taken.

  @EC1 @local @FR-005 @adr-0002 @adr-0009 @adr-0012 @adr-0017 @adr-0018
  Scenario: Database connection dropout: a fast 503, the process stays up, recovery without a restart
    Given the service is running with its database up
    When the database connection drops out
    Then task requests get a fast `503` saying the database is unavailable
    And `/health` answers `503` with the database reported unreachable
    And the service process is still the same one, still running
    When the database is back
    Then `/health` and the task routes answer `200` again within seconds, without a restart

  @EC2 @local @adr-0005
  Scenario: Missing production secret: immediate failure on start-up with a clear message
    Given a production environment on Railway without `BETTER_AUTH_SECRET`
    When the Procfile's web process starts
    Then it exits non-zero within seconds
    And its log names `BETTER_AUTH_SECRET` in one clear message, without a traceback
    And it never bound its port

  @EC3 @local @FR-001 @FR-002 @adr-0001
  Scenario: Dynamic port collision: a clear non-zero exit, and SIGTERM stops the service gracefully
    Given the platform assigns a `PORT` that is already taken
    When the Procfile's web process starts
    Then it exits non-zero within seconds
    And its log says the address is already in use
    And the service already on that port keeps answering
    And a running instance sent SIGTERM shuts down gracefully, closing its database connections
