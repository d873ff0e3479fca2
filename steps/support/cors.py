"""Origins a browser could send, derived from the one the deployment must allow (FR-004, SC-003).

A CORS setup that reflects any origin, uses ``*``, matches by substring/prefix/suffix, or forgets the scheme
lets one of these through. Decision: history/adr/0006-cors-whitelist.md.
"""

from __future__ import annotations

from urllib.parse import urlsplit

FRONTEND_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
FRONTEND_HEADERS = ("authorization", "content-type")


def disallowed_origins(allowed: str) -> dict[str, str]:
    """What each origin tries → the origin."""
    host = urlsplit(allowed).hostname or "frontend.vercel.app"
    label, _, parent = host.partition(".")
    return {
        "another domain": "https://evil.example.com",
        "another Vercel app": f"https://evil-{label}-copy.{parent or 'vercel.app'}",
        "lookalike suffix": f"https://{host}.evil.com",
        "lookalike prefix": f"https://evil{host}",
        "plain http of the allowed host": f"http://{host}",
        "null (sandboxed iframe, file://)": "null",
    }
