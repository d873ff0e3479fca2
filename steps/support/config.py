"""Where the suite points and with what credentials: a live URL (live mode) or a local rehearsal (local mode).

Live mode needs BASE_URL (or ``-D base_url=…``), BETTER_AUTH_SECRET (environment only, to mint test tokens the
deployment will trust) and ALLOWED_ORIGIN (the Vercel production origin). All problems are reported together,
before any request is sent. Decision: history/adr/0013-behave-live-and-local-rehearsal.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from audit.traceability import LOCAL_TAG

LIVE = "live"
LOCAL = "local"
LOCAL_TARGET = "local rehearsal"
LOCAL_ONLY_REASON = (
    "needs control of the service process or its database (stop/start, restart, port, environment); "
    "not run against a live URL — run `make acceptance` without BASE_URL to rehearse it locally"
)
# What a run in each mode cannot rehearse, stated in the audit report next to its verdict (reports/run.json →
# not_rehearsed). The local rehearsal's stand-ins: backend/local/rehearsal.py.
NO_TLS_EDGE = ("Railway's TLS edge and proxy: the rehearsal serves plain HTTP on loopback, so HTTPS termination, "
               "certificates and the edge's forwarded headers are not exercised")
# When HAProxy stood in for the edge (backend/local/tls_edge.py, ADR 0020), this replaces NO_TLS_EDGE.
STAND_IN_TLS_EDGE = ("Railway's own edge: HTTPS termination and the forwarded headers were exercised through "
                     "HAProxy (see edge), whose limits, HTTP/2 support and exact headers may differ from Railway's")
NOT_REHEARSED = {
    LOCAL: (
        NO_TLS_EDGE,
        "a real Neon compute: scale-to-zero cold starts, Neon's own pooler and its network latency; the "
        "rehearsal's database is a local PostgreSQL (see the database path)",
    ),
    LIVE: (
        "the @local scenarios: control of the process and its database (dropout, missing secret, port collision, "
        "SIGTERM) — `make verify` without BASE_URL rehearses them",
    ),
}
_URL = re.compile(r"https?://[A-Za-z0-9.-]+(:\d+)?/?")
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:\d+)?")


class SuiteConfigError(Exception):
    """The suite cannot run as configured; the message names every variable at fault."""


@dataclass(frozen=True)
class SuiteConfig:
    mode: Literal["live", "local"]
    base_url: str | None
    allowed_origin: str | None
    secret: str | None = field(default=None, repr=False)  # never printed, never written to a report
    request_timeout: float = 10.0

    @property
    def is_live(self) -> bool:
        return self.mode == LIVE

    @property
    def target(self) -> str:
        return self.base_url if self.is_live and self.base_url else LOCAL_TARGET

    @classmethod
    def from_sources(cls, environ: Mapping[str, str], userdata: Mapping[str, str]) -> SuiteConfig:
        """Read ``-D`` userdata first, then the environment; the secret only from the environment."""
        problems: list[str] = []
        if userdata.get("better_auth_secret") or userdata.get("jwt_secret"):
            problems.append("BETTER_AUTH_SECRET: pass it in the environment, not with -D (command lines are visible "
                            "to other users and end up in shell history)")
        base_url = (userdata.get("base_url") or environ.get("BASE_URL") or "").strip()
        allowed_origin = (userdata.get("allowed_origin") or environ.get("ALLOWED_ORIGIN") or "").strip().rstrip("/")
        timeout = float(userdata.get("request_timeout") or environ.get("REQUEST_TIMEOUT") or 10)
        if not base_url:
            if problems:
                raise SuiteConfigError("\n".join(problems))
            return cls(mode=LOCAL, base_url=None, allowed_origin=allowed_origin or None, request_timeout=timeout)

        secret = (environ.get("BETTER_AUTH_SECRET") or environ.get("JWT_SECRET") or "").strip()
        if not _URL.fullmatch(base_url):
            problems.append(f"BASE_URL: {base_url!r} is not a service URL (https://<service>.up.railway.app)")
        if not secret:
            problems.append("BETTER_AUTH_SECRET: required in live mode (the deployment's secret, to mint test tokens; "
                            "environment only)")
        if not allowed_origin:
            problems.append("ALLOWED_ORIGIN: required in live mode (the Vercel production origin, "
                            "e.g. https://<app>.vercel.app)")
        elif not _ORIGIN.fullmatch(allowed_origin):
            problems.append(f"ALLOWED_ORIGIN: {allowed_origin!r} is not an origin (scheme://host[:port], no path)")
        if problems:
            raise SuiteConfigError("\n".join(problems))
        return cls(mode=LIVE, base_url=base_url.rstrip("/"), allowed_origin=allowed_origin, secret=secret,
                   request_timeout=timeout)

    def with_rehearsal(self, base_url: str, allowed_origin: str, secret: str) -> SuiteConfig:
        """Local mode: the rehearsal decides the URL, the origin and the (generated) secret."""
        return SuiteConfig(mode=LOCAL, base_url=base_url, allowed_origin=allowed_origin, secret=secret,
                           request_timeout=self.request_timeout)


def skip_reason(tags: list[str] | set[str], config: SuiteConfig) -> str | None:
    """Why a scenario with ``tags`` must not run against ``config``'s target, or None when it may."""
    if LOCAL_TAG in tags and config.is_live:
        return LOCAL_ONLY_REASON
    return None
