"""End to end as deployed: the Procfile's process in production mode verifies a real Better Auth's EdDSA token
through its JWKS fetched over HTTPS (ADR 0007).

Better Auth (integration/better-auth/) runs behind the rehearsal's TLS edge (HAProxy, a throwaway CA; ADR 0020) with
its https:// URL as `baseURL`, so `iss`/`aud` are that URL as on Vercel and production's rule "BETTER_AUTH_JWKS_URL
must be https://" holds. The backend process trusts the throwaway CA through SSL_CERT_FILE, as a host trusts its
CAs; without it the key set cannot be fetched and the same token is refused (503, the JWKS outage rule), which shows
the JWKS really is fetched over verified TLS.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backend.local.postgres import LocalPostgres
from backend.local.tls_edge import HAPROXY_MISSING, TlsEdge, find_haproxy
from tests.backend.better_auth import BetterAuthServer, missing_tool
from tests.backend.conftest import WebProcess, production_web

HAPROXY = find_haproxy()
pytestmark = [
    pytest.mark.skipif(missing_tool() is not None, reason=str(missing_tool())),
    pytest.mark.skipif(HAPROXY is None, reason=HAPROXY_MISSING),
]


@pytest.fixture(scope="module")
def better_auth_over_https(postgres: LocalPostgres,
                           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BetterAuthServer, TlsEdge]]:
    work_dir = tmp_path_factory.mktemp("better-auth-https")
    server = BetterAuthServer(postgres, "EdDSA", work_dir)
    edge = TlsEdge(server.port, work_dir, str(HAPROXY), ready_path="/api/auth/ok")
    server.public_url, server.verify = edge.base_url, edge.ssl_context()
    server.start()
    try:
        edge.start()
        yield server, edge
    finally:
        edge.stop()
        server.stop()


def trusting(server: BetterAuthServer, edge: TlsEdge | None = None) -> dict[str, str]:
    """Better Auth's JWKS and claims; the edge's CA trusted (SSL_CERT_FILE) when ``edge`` is given."""
    environment = {"BETTER_AUTH_JWKS_URL": server.jwks_url, "JWT_ISSUER": server.base_url,
                   "JWT_AUDIENCE": server.base_url}
    return {**environment, "SSL_CERT_FILE": str(edge.ca_path)} if edge else environment


def get_tasks(web: WebProcess, user_id: str, token: str) -> httpx.Response:
    with httpx.Client(base_url=web.base_url, timeout=30) as http:
        return http.get(f"/api/{user_id}/tasks", headers={"Authorization": f"Bearer {token}"})


def test_production_accepts_better_auths_token_through_https_jwks(
        postgres: LocalPostgres, better_auth_over_https: tuple[BetterAuthServer, TlsEdge], tmp_path: Path):
    server, edge = better_auth_over_https
    assert server.jwks_url.startswith("https://")
    alice, bob = server.sign_up(), server.sign_up()
    with production_web(tmp_path, postgres.url, **trusting(server, edge)) as (web, _):
        own = get_tasks(web, alice.id, alice.token)
        someone_elses = get_tasks(web, bob.id, alice.token)
    assert own.status_code == 200, own.text + web.log
    assert someone_elses.status_code == 403, someone_elses.text


def test_production_refuses_it_when_the_jwks_certificate_is_not_trusted(
        postgres: LocalPostgres, better_auth_over_https: tuple[BetterAuthServer, TlsEdge], tmp_path: Path):
    server, _ = better_auth_over_https
    alice = server.sign_up()
    with production_web(tmp_path, postgres.url, **trusting(server)) as (web, _):
        response = get_tasks(web, alice.id, alice.token)
        log = web.log
    # The key cannot be fetched (the JWKS is unreachable to us): 503, retry later, not 401 (issue 9 item 2, ADR 0007).
    assert response.status_code == 503, response.text
    assert response.json() == {"detail": "authentication keys unavailable"}
    assert "JWKS fetch failed (SSLCertVerificationError)" in log
