"""Drive the real Better Auth server in integration/better-auth/ (Node): start it, sign users up, get their JWTs.

The tokens the backend's Better Auth tests verify are minted by Better Auth itself (its JWT plugin, its key set,
its `iss`/`aud` defaults), not by this project. Decision: history/adr/0007-pyjwt-hs256-and-jwks.md.
"""

from __future__ import annotations

import secrets
import ssl
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from backend.local.checkout import clean_environment
from backend.local.postgres import LocalPostgres, free_port
from backend.local.processes import stop_process, wait_until_ok
from backend.local.rehearsal import ROOT
from tests.backend.test_auth_jwks import SigningKey, generate_key
from tests.node_projects import node_project_missing

HARNESS = ROOT / "integration" / "better-auth"
START_TIMEOUT_SECONDS = 60


def missing_tool() -> str | None:
    """Why the harness cannot run here (one line), or None when it can."""
    return node_project_missing(HARNESS, "better-auth")


@dataclass(frozen=True)
class SignedUpUser:
    id: str
    token: str  # the JWT from Better Auth's /api/auth/token
    session_cookie_jwt: str  # Better Auth's own HS256 artefact: the session cache cookie ("jwt" strategy)


@dataclass
class BetterAuthServer:
    """One Better Auth server signing with ``algorithm``, its tables in their own database on ``postgres``."""

    postgres: LocalPostgres
    algorithm: str
    log_dir: Path
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    port: int = field(default_factory=free_port)
    public_url: str | None = None  # behind a TLS edge: its https:// URL (Better Auth then sets Secure cookies)
    verify: ssl.SSLContext | bool = True  # what clients of ``public_url`` trust
    process: subprocess.Popen[bytes] | None = None

    @property
    def local_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """Where clients reach it; also what Better Auth puts in `iss` and `aud` by default."""
        return self.public_url or self.local_url

    @property
    def jwks_url(self) -> str:
        return f"{self.base_url}/api/auth/jwks"

    def start(self) -> BetterAuthServer:
        database = f"better_auth_{uuid.uuid4().hex[:8]}"
        self.postgres.psql(f"CREATE DATABASE {database}")
        environment = clean_environment(
            DATABASE_URL=self.postgres.url.rsplit("/", 1)[0] + f"/{database}",
            BETTER_AUTH_SECRET=self.secret, BETTER_AUTH_URL=self.base_url, PORT=str(self.port),
            JWT_ALG=self.algorithm,
        )
        log_path = self.log_dir / f"better-auth-{self.algorithm}-{self.port}.log"
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(["node", str(HARNESS / "server.mjs")], cwd=HARNESS, env=environment,
                                            stdout=log, stderr=subprocess.STDOUT)
        wait_until_ok(f"{self.local_url}/api/auth/ok", self.process, log_path, START_TIMEOUT_SECONDS,
                      name="Better Auth")
        return self

    def stop(self) -> None:
        stop_process(self.process, timeout=10)


    def key_set(self) -> dict[str, Any]:
        response = httpx.get(self.jwks_url, timeout=10, verify=self.verify)
        response.raise_for_status()
        return response.json()

    def sign_up(self) -> SignedUpUser:
        """A new user through Better Auth's email/password sign-up, then their JWT from its token endpoint."""
        # Better Auth refuses cookie-carrying POSTs without a trusted Origin (its CSRF check), as a browser sends.
        with httpx.Client(base_url=self.base_url, headers={"Origin": self.base_url}, timeout=10,
                          verify=self.verify) as http:
            email = f"user-{uuid.uuid4().hex[:12]}@example.com"
            signed_up = http.post("/api/auth/sign-up/email",
                                  json={"email": email, "password": secrets.token_urlsafe(16), "name": "Test User"})
            signed_up.raise_for_status()
            token = http.get("/api/auth/token")
            token.raise_for_status()
            return SignedUpUser(id=signed_up.json()["user"]["id"], token=token.json()["token"],
                                session_cookie_jwt=_cookie(http.cookies, "better-auth.session_data"))


def _cookie(cookies: httpx.Cookies, name: str) -> str:
    """``name``, or ``__Secure-name`` as Better Auth calls it when its URL is https."""
    return cookies.get(name) or cookies[f"__Secure-{name}"]


def impostor_keys(real_key_set: dict[str, Any]) -> list[SigningKey]:
    """The same key ids, algorithms and key types as ``real_key_set``, with freshly generated key material.

    A backend pointed at these finds the token's `kid` and must then reject the signature itself.
    """
    return [generate_key(key["alg"], key["kid"]) for key in real_key_set["keys"]]
