// Railway Infrastructure as Code for the tasks API: the web service as it must run in production.
// Decision: history/adr/0014-railway-healthcheck-as-code.md (replaces railway.json / railway.toml, whose
// Config as Code is deprecated and stops being read on 2026-12-01).
//
// Review with `railway config plan`; apply deliberately with `railway config apply`. This file has not been
// planned against a real Railway project from this repository's CI (no Railway account there).
//
// API provenance:
// - defineRailway, project(..., { resources }), service(name, { start, healthcheck, healthcheckTimeout, env }),
//   preserve(): documented at https://docs.railway.com/infrastructure-as-code/reference
// - preDeploy and deploy.restartPolicyType / deploy.restartPolicyMaxRetries: NOT on that reference page; taken
//   from the `railway` SDK's own types (src/iac/sdk.ts IntentServiceConfig.preDeploy, normalized to
//   deploy.preDeployCommand; src/iac/schema.ts DeployConfig.restartPolicyType "ON_FAILURE" | "ALWAYS" | "NEVER").
//   If `railway config plan` rejects them, set the same values in the service settings and say so in ADR 0014.
//
// No secret values here, ever: secrets are set once in Railway and kept with preserve().
import { defineRailway, preserve, project, service } from "railway/iac";

// Exactly the Procfile's `web:` command (tests/audit/test_railway_iac.py fails if they drift). Railway runs it
// through a shell, so ${PORT:-8000} expands and `exec` hands SIGTERM straight to uvicorn (ADR 0001).
const START =
  "exec uvicorn backend.main:create_app_from_environment --factory --host 0.0.0.0 --port ${PORT:-8000} " +
  "--http backend.transport:BoundedHttpToolsProtocol --proxy-headers " +
  "--forwarded-allow-ips ${FORWARDED_ALLOW_IPS:-100.64.0.0/10} --timeout-keep-alive 5 " +
  "--timeout-graceful-shutdown 20 --no-server-header --lifespan on";

export default defineRailway(() => {
  const web = service("web", {
    start: START,
    // Railway's pre-deploy step: migrations against DATABASE_DIRECT_URL before traffic moves (ADR 0010).
    preDeploy: "alembic upgrade head",
    // The deep health check (ADR 0009): 200 only after a real SELECT 1. Railway routes traffic to a new
    // deployment only once this path answers 200, and fails the deploy after healthcheckTimeout seconds.
    healthcheck: "/health",
    healthcheckTimeout: 120,
    // A non-zero exit (port collision, configuration error) restarts the service, up to 10 times.
    deploy: {
      restartPolicyType: "ON_FAILURE",
      restartPolicyMaxRetries: 10,
    },
    env: {
      // Not a secret: production mode is also inferred from RAILWAY_ENVIRONMENT_NAME (ADR 0005); explicit here.
      ENVIRONMENT: "production",
      // Neon's pooled (-pooler) connection string; the direct one for migrations (ADR 0002, 0003, 0010).
      DATABASE_URL: preserve(),
      DATABASE_DIRECT_URL: preserve(),
      // HS256 secret shared with the Better Auth frontend (ADR 0007); at least 32 characters.
      BETTER_AUTH_SECRET: preserve(),
      // The Vercel production origin(s), https only (ADR 0006).
      CORS_ORIGINS: preserve(),
    },
  });

  return project("tasks-api", {
    resources: [web],
  });
});
