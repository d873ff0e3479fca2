"""TLS to the database: which ``sslmode`` a connection really gets, and the verifying context behind it.

Spec: US1 scenario 2, FR-003. Decision: history/adr/0004-neon-url-normalization-and-tls.md (TLS, issue 9 item 11).

- Neon hosts (``*.neon.tech``) always get ``verify-full``: Neon's certificates chain to public CAs, so the server
  is authenticated, not only encrypted. ``sslmode=disable`` on a Neon host is refused (Neon refuses plain text;
  the setting can only be a mistake); ``allow``/``prefer``/``require``/``verify-ca`` are raised to ``verify-full``.
- ``verify-ca`` and ``verify-full`` use a context built here, from the system CA bundle (certifi's when the system
  has none). asyncpg's own handling of those modes insists on ``~/.postgresql/root.crt``, absent on Railway.
- Other modes go to asyncpg as given. Whether production may run without TLS is the settings' rule
  (``Settings.problems``): never, except on loopback or with ``DATABASE_ALLOW_PLAINTEXT=true``.
"""

from __future__ import annotations

import ipaddress
import ssl
from functools import cache

NEON_SUFFIX = ".neon.tech"
ENCRYPTED_MODES = frozenset({"require", "verify-ca", "verify-full"})
VERIFYING_MODES = frozenset({"verify-ca", "verify-full"})
LOOPBACK_NAMES = frozenset({"localhost"})


def is_neon(host: str) -> bool:
    return host.endswith(NEON_SUFFIX)


def is_loopback(host: str) -> bool:
    """A database on this machine (or a Unix socket): its traffic never crosses a network."""
    if not host or host.startswith("/") or host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def effective_mode(host: str, requested: str | None) -> str | None:
    """The sslmode this connection will use; ValueError for a mode that must not be used with this host."""
    if not is_neon(host):
        return requested
    if requested == "disable":
        raise ValueError("sslmode=disable on a Neon host: Neon accepts only TLS connections")
    return "verify-full"


def asyncpg_ssl_argument(mode: str | None) -> str | ssl.SSLContext | None:
    """What asyncpg's ``ssl=`` receives for ``mode``."""
    if mode in VERIFYING_MODES:
        return verifying_context(check_hostname=mode == "verify-full")
    return mode


@cache
def verifying_context(*, check_hostname: bool) -> ssl.SSLContext:
    """Certificate required and checked against the system CA bundle (certifi's if the system store is empty)."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if not context.get_ca_certs() and not context.cert_store_stats().get("x509_ca"):
        import certifi

        context.load_verify_locations(certifi.where())
    context.check_hostname = check_hostname
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def describe(mode: str | None) -> str:
    """For the start-up log: what protection the connection has, in words (no secret involved)."""
    return {
        "verify-full": "verify-full (encrypted, certificate and host name verified)",
        "verify-ca": "verify-ca (encrypted, certificate verified, host name not)",
        "require": "require (encrypted, certificate not verified)",
        "prefer": "prefer (TLS if the server offers it, else plain text)",
        "allow": "allow (plain text unless the server insists on TLS)",
        "disable": "disable (plain text)",
    }.get(mode or "", "none (asyncpg's default: TLS if offered, else plain text)")
