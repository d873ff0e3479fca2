// A real Better Auth server, configured as a Vercel frontend would configure it, for the backend's tests.
// Decision: history/adr/0007-pyjwt-hs256-and-jwks.md. Driven by tests/backend/better_auth.py.
//
// Environment (all set by the test at run time; nothing here is a secret):
//   DATABASE_URL        PostgreSQL for Better Auth's own tables (the embedded PostgreSQL), migrated at start
//   BETTER_AUTH_SECRET  generated per run
//   BETTER_AUTH_URL     this server's public URL (http://127.0.0.1:<PORT>, or a TLS edge's https:// URL):
//                       Better Auth's default `iss` and `aud`
//   PORT                the loopback port it listens on
//   JWT_ALG             EdDSA (Better Auth's default) | ES256 | RS256 | HS256
//                       HS256: the JWT plugin's own `jwt.sign` hook signs with BETTER_AUTH_SECRET (jose, HS256)
//                       instead of a JWKS key: what a frontend sharing the secret with the API has to write.
import http from "node:http";

import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import { toNodeHandler } from "better-auth/node";
import { jwt } from "better-auth/plugins";
import { SignJWT } from "jose";
import pg from "pg";

const { DATABASE_URL, BETTER_AUTH_SECRET, BETTER_AUTH_URL } = process.env;
const JWT_ALG = process.env.JWT_ALG || "EdDSA";
const port = Number(process.env.PORT); // on 127.0.0.1; BETTER_AUTH_URL may be a TLS edge in front of it

// HS256 through the plugin's documented remote-signing hook: the payload Better Auth built (sub, iss, aud, exp,
// iat, the user's fields), signed with the shared secret. Better Auth itself never signs a bearer token HS256.
const hs256 = {
  sign: (payload) =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .sign(new TextEncoder().encode(BETTER_AUTH_SECRET)),
};

const options = {
  database: new pg.Pool({ connectionString: DATABASE_URL, max: 4 }),
  secret: BETTER_AUTH_SECRET,
  baseURL: BETTER_AUTH_URL,
  trustedOrigins: [BETTER_AUTH_URL],
  emailAndPassword: { enabled: true },
  // The one thing Better Auth itself signs HS256 with the secret: the session cache cookie, in its "jwt" strategy.
  // It is a cookie for the frontend's own domain, not a bearer token: no `sub`, no `iss`/`aud` (the API refuses it).
  session: { cookieCache: { enabled: true, strategy: "jwt" } },
  telemetry: { enabled: false },
  plugins: [
    jwt({
      // With `jwt.sign`, Better Auth insists on a remote JWKS URL (it assumes an asymmetric key held elsewhere); an
      // HS256 frontend has no key set to publish, so this URL serves nothing: the API must not be pointed at it.
      jwks: JWT_ALG === "HS256"
        ? { remoteUrl: `${BETTER_AUTH_URL}/no-key-set-with-a-shared-secret`, keyPairConfig: { alg: "HS256" } }
        : { keyPairConfig: keyPairConfig(JWT_ALG) },
      jwt: JWT_ALG === "HS256" ? hs256 : {},
    }),
  ],
};

function keyPairConfig(alg) {
  if (alg === "EdDSA") return { alg: "EdDSA", crv: "Ed25519" };
  if (alg === "ES256" || alg === "RS256") return { alg };
  throw new Error(`JWT_ALG ${alg} is not one this harness offers`);
}

const { runMigrations } = await getMigrations(options);
await runMigrations();

const auth = betterAuth(options);
const server = http.createServer(toNodeHandler(auth));
server.listen(port, "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
