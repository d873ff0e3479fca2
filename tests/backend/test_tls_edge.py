"""The rehearsal's TLS edge (backend/local/tls_edge.py, ADR 0020): Debian's HAProxy terminating TLS in front of the
Procfile's process, as Railway's edge does. What production depends on is checked through it: the certificate is
really verified, the app builds its redirects with the https scheme the edge forwards, and CORS still admits only the
allowed origin.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backend.local.postgres import LocalPostgres
from backend.local.rehearsal import Rehearsal
from backend.local.tls_edge import EDGE_OFF, HAPROXY_MISSING, TlsEdge, find_haproxy, haproxy_config
from tests.backend.conftest import ALLOWED, WebProcess, make_token, new_user_id, production_web

HAPROXY = find_haproxy()
needs_haproxy = pytest.mark.skipif(HAPROXY is None, reason=HAPROXY_MISSING)


@pytest.fixture(scope="module")
def behind_the_edge(postgres: LocalPostgres,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TlsEdge, WebProcess, str]]:
    """The Procfile's web process in production mode, and HAProxy in front of it."""
    if HAPROXY is None:
        pytest.skip(HAPROXY_MISSING)
    work_dir = tmp_path_factory.mktemp("edge")
    with production_web(work_dir, postgres.url) as (web, secret):  # trusting 127.0.0.1, the edge's address
        edge = TlsEdge(web.port, work_dir, HAPROXY).start()
        try:
            yield edge, web, secret
        finally:
            edge.stop()


@needs_haproxy
def test_the_edge_serves_https_with_the_runs_own_certificate(behind_the_edge: tuple[TlsEdge, WebProcess, str]):
    edge, _, _ = behind_the_edge
    assert edge.base_url.startswith("https://")
    with httpx.Client(verify=edge.ssl_context(), timeout=10) as client:
        assert client.get(f"{edge.base_url}/health").status_code == 200
    # The system's CAs do not know the throwaway CA: TLS is really verified, not switched off.
    with httpx.Client(timeout=10) as client, pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        client.get(f"{edge.base_url}/health")


@needs_haproxy
def test_redirects_keep_the_https_scheme_the_edge_forwards(behind_the_edge: tuple[TlsEdge, WebProcess, str]):
    """A trailing-slash redirect behind the edge must point back to https://, not to the app's plain http://."""
    edge, web, secret = behind_the_edge
    user_id = new_user_id()
    headers = {"Authorization": f"Bearer {make_token(secret, user_id)}"}
    with httpx.Client(verify=edge.ssl_context(), timeout=10) as client:
        response = client.get(f"{edge.base_url}/api/{user_id}/tasks/", headers=headers)
    assert response.status_code == 307, response.text
    assert response.headers["location"] == f"{edge.base_url}/api/{user_id}/tasks"
    with httpx.Client(timeout=10) as client:  # the same request straight to the app: plain http, no forwarded proto
        direct = client.get(f"{web.base_url}/api/{user_id}/tasks/", headers=headers)
    assert direct.headers["location"].startswith("http://")


@needs_haproxy
def test_cors_through_the_edge_admits_only_the_allowed_origin(behind_the_edge: tuple[TlsEdge, WebProcess, str]):
    edge, _, _ = behind_the_edge
    preflight = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}
    with httpx.Client(verify=edge.ssl_context(), timeout=10) as client:
        allowed = client.options(f"{edge.base_url}/api/x/tasks", headers={"Origin": ALLOWED, **preflight})
        other = client.options(f"{edge.base_url}/api/x/tasks",
                               headers={"Origin": "https://tasks-frontend.vercel.app.evil.com", **preflight})
    assert allowed.headers.get("access-control-allow-origin") == ALLOWED
    assert "access-control-allow-origin" not in other.headers


def test_the_edge_forwards_the_headers_railways_edge_sets(tmp_path: Path):
    config = haproxy_config(8443, 8000, tmp_path / "edge.pem")
    assert "bind 127.0.0.1:8443 ssl crt" in config
    assert "http-request set-header X-Forwarded-Proto https" in config
    assert "option forwardfor" in config  # X-Forwarded-For
    assert "server app 127.0.0.1:8000" in config


def test_without_the_edge_the_rehearsal_says_it_serves_plain_http():
    rehearsal = Rehearsal(use_tls_edge=False)
    try:
        assert rehearsal.public_url == rehearsal.base_url
        assert rehearsal.public_url.startswith("http://")
        assert rehearsal.edge_description == (HAPROXY_MISSING if HAPROXY is None else EDGE_OFF)
        assert rehearsal.tls_verify is True
    finally:
        rehearsal.stop()


def test_the_throwaway_ca_is_generated_per_edge(tmp_path: Path):
    if HAPROXY is None:
        pytest.skip(HAPROXY_MISSING)
    first, second = TlsEdge(1, tmp_path / "a", HAPROXY), TlsEdge(1, tmp_path / "b", HAPROXY)
    assert first.ca_path.read_bytes() != second.ca_path.read_bytes()
    assert oct(first.certificate_path.stat().st_mode & 0o777) == "0o600"  # the private key is in it
    assert isinstance(first.ssl_context(), ssl.SSLContext)
