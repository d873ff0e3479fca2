"""Railway's edge on this machine: Debian's HAProxy terminating TLS in front of the rehearsed app.

In production, clients reach the app through Railway's edge: HTTPS outside, plain HTTP to the container, with
``X-Forwarded-Proto: https`` and ``X-Forwarded-For: <client>`` added; the Procfile's uvicorn trusts those
(``--proxy-headers``), so redirects and anything built from the request URL say ``https://``. Here HAProxy plays
that part with a certificate from a throwaway CA generated for this run (never written to the repository), so the
rehearsal's ``base_url`` is ``https://`` and the suite goes through TLS and the proxy headers as it will live.
Where HAProxy is not installed the rehearsal stays on plain HTTP and says so (``HAPROXY_MISSING``).
Decision: history/adr/0020-tls-edge-for-the-rehearsal.md.
"""

from __future__ import annotations

import datetime
import shutil
import ssl
import subprocess
import sys
from pathlib import Path

import trustme

from backend.local.debian import install_package
from backend.local.postgres import free_port
from backend.local.processes import stop_process, wait_until_ok

HAPROXY_MISSING = ("HAProxy is not installed (`apt-get install haproxy`; make test does it itself where it may): "
                   "the rehearsal serves plain HTTP, without a TLS edge")
EDGE_OFF = "TLS edge turned off for this rehearsal (use_tls_edge=False): plain HTTP"
START_TIMEOUT_SECONDS = 15
CERTIFICATE_DAYS = 1  # a run lasts minutes; nothing ever needs this certificate again


def find_haproxy() -> str | None:
    return shutil.which("haproxy") or next((str(path) for path in [Path("/usr/sbin/haproxy")] if path.exists()), None)


def haproxy_version(binary: str) -> str:
    """``HAProxy 2.6.12-1+deb12u4``, from the first line of ``haproxy -v``."""
    lines = subprocess.run([binary, "-v"], capture_output=True, text=True, timeout=10).stdout.splitlines()
    words = lines[0].split() if lines else []
    return f"HAProxy {words[2]}" if len(words) > 2 else "HAProxy"


def install() -> int:
    """``make test``'s step for the edge: Debian's haproxy when it is missing and this user may; never fails."""
    if find_haproxy() is None:
        install_package("haproxy")
    binary = find_haproxy()
    print(f"TLS edge for the rehearsal: {haproxy_version(binary)}" if binary else f"{HAPROXY_MISSING}.", flush=True)
    return 0


def write_throwaway_ca(folder: Path) -> tuple[Path, Path]:
    """A CA (trustme's) and a server certificate for 127.0.0.1/localhost signed by it: (ca.pem, edge.pem = key +
    cert, readable by this user only)."""
    ca = trustme.CA(organization_name="tasks-api rehearsal throwaway CA")
    expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=CERTIFICATE_DAYS)
    folder.mkdir(parents=True, exist_ok=True)
    ca_path, edge_path = folder / "ca.pem", folder / "edge.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    edge_path.touch(mode=0o600)
    ca.issue_cert("localhost", "127.0.0.1", not_after=expires).private_key_and_cert_chain_pem.write_to_path(
        str(edge_path))
    return ca_path, edge_path


def haproxy_config(port: int, upstream_port: int, certificate: Path) -> str:
    """What Railway's edge does to a request, as HAProxy configuration: TLS off, forwarding headers on."""
    return f"""\
global
    maxconn 512

defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-request 10s
    # X-Forwarded-For: the client's address, appended as Railway's edge does.
    option forwardfor

frontend edge
    bind 127.0.0.1:{port} ssl crt {certificate} alpn http/1.1
    http-request set-header X-Forwarded-Proto https
    http-request set-header X-Real-IP %[src]
    default_backend app

backend app
    server app 127.0.0.1:{upstream_port}
"""


class TlsEdge:
    """HAProxy on 127.0.0.1:``port`` (TLS) forwarding to the app on 127.0.0.1:``upstream_port`` (plain HTTP)."""

    def __init__(self, upstream_port: int, work_dir: Path, binary: str, ready_path: str = "/health") -> None:
        self.upstream_port = upstream_port
        self.ready_path = ready_path  # answers 200 through the edge once both are up
        self.work_dir = work_dir
        self.binary = binary
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.ca_path, self.certificate_path = write_throwaway_ca(work_dir / "tls")
        self.description = (f"{haproxy_version(binary)} terminating TLS (throwaway CA generated for this run) and "
                            "forwarding X-Forwarded-Proto/X-Forwarded-For, as Railway's edge does")

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def ssl_context(self) -> ssl.SSLContext:
        """Trusts this run's CA only: a client using it proves it reached the edge over verified TLS."""
        return ssl.create_default_context(cafile=str(self.ca_path))

    def start(self) -> TlsEdge:
        config = self.work_dir / "haproxy.cfg"
        config.write_text(haproxy_config(self.port, self.upstream_port, self.certificate_path), encoding="utf-8")
        # -db: stay in the foreground, so this object owns the process and stop() ends it.
        with (self.work_dir / "haproxy.log").open("wb") as log:
            self.process = subprocess.Popen([self.binary, "-db", "-f", str(config)], stdout=log,
                                            stderr=subprocess.STDOUT)
        wait_until_ok(f"{self.base_url}{self.ready_path}", self.process, self.work_dir / "haproxy.log",
                      START_TIMEOUT_SECONDS, name="HAProxy", verify=self.ssl_context())
        return self

    def stop(self) -> None:
        stop_process(self.process, timeout=10)


if __name__ == "__main__":
    sys.exit(install() if sys.argv[1:] == ["install"] else "usage: python -m backend.local.tls_edge install")
