"""Turn whatever connection string people paste into what SQLAlchemy + asyncpg accept.

Spec: US1 scenario 2 ("connection using the postgresql+asyncpg:// protocol"). Decision:
history/adr/0004-neon-url-normalization-and-tls.md.

Neon's console gives ``postgresql://user:pass@ep-x-pooler.region.aws.neon.tech/db?sslmode=require&channel_binding=require``.
asyncpg takes TLS as an ``ssl`` argument and rejects ``sslmode``/``channel_binding`` as keyword arguments, so they
are translated here, once, instead of failing at the first query in production.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from backend import database_tls

ASYNC_DRIVER = "postgresql+asyncpg"
ACCEPTED_SCHEMES = {"postgres", "postgresql", "postgresql+asyncpg"}
SSL_MODES = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}
# Query parameters libpq understands but asyncpg does not; dropping them loses nothing asyncpg could use.
DROPPED_PARAMETERS = {"channel_binding", "sslrootcert", "sslcert", "sslkey", "gssencmode", "connect_timeout"}
URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,31}")
HOST_NAME = re.compile(r"\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+")
UNENCODED_HINT = "percent-encode @ : / ? # in the password (@ is %40)"


def redact_url(raw: str) -> str:
    """The only form in which a database URL may appear in a log line or an error: ``scheme://host``.

    Everything after the scheme except the host can hold a secret. A password with an unencoded ``@`` or ``:``
    (``u:p@ss:S3cret@host``) makes every URL parser see part of it as the host, the port or the database, so the
    host is taken after the *last* ``@`` and shown only if it looks like a host name.
    """
    scheme, separator, rest = raw.strip().partition("://")
    if not separator or not URL_SCHEME.fullmatch(scheme):
        return "<not a URL>"
    host = HOST_NAME.match(rest.rpartition("@")[2])
    return f"{scheme}://{host.group(0) if host else '<no host>'}"


@dataclass(frozen=True)
class DatabaseTarget:
    """A normalized database address: SQLAlchemy URL plus the asyncpg arguments it implies."""

    url: URL
    ssl: str | None
    pgbouncer: bool
    connect_args: dict[str, Any] = field(default_factory=dict)

    @property
    def encrypted(self) -> bool:
        """TLS is required for this connection (require, verify-ca or verify-full)."""
        return self.ssl in database_tls.ENCRYPTED_MODES

    @property
    def on_loopback(self) -> bool:
        return database_tls.is_loopback(self.url.host or "")

    @property
    def tls_description(self) -> str:
        return database_tls.describe(self.ssl)

    @property
    def safe_description(self) -> str:
        """For logs and reports: the redacted URL (scheme and host), never the password."""
        return redact_url(self.url.render_as_string(hide_password=True))


def parse_database_url(raw: str, *, pgbouncer: bool | None) -> DatabaseTarget:
    """Normalize ``raw``; ``pgbouncer=None`` means detect Neon's pooler from the host name.

    Raises ValueError whose message shows the URL only through ``redact_url``: never the password, the user, the
    port or the database, which an unencoded ``@`` in the password can turn into pieces of the password.
    """
    shown = redact_url(raw)
    try:
        url = make_url(raw.strip())
    except (ArgumentError, ValueError):  # ValueError: a "port" that is really the rest of the password
        raise ValueError(f"not a valid database URL ({shown}); expected postgresql://user:password@host/dbname, "
                         f"{UNENCODED_HINT}") from None
    if url.drivername not in ACCEPTED_SCHEMES:
        raise ValueError(f"unsupported scheme in {shown}; use postgresql:// (asyncpg is selected for you)")
    if url.host is not None and not (HOST_NAME.fullmatch(url.host) or HOST_NAME.fullmatch(f"[{url.host}]")):
        raise ValueError(f"the host of {shown} is not a host name; {UNENCODED_HINT}")
    if not url.database:
        raise ValueError(f"{shown} names no database (…/dbname)")

    query = dict(url.query)
    ssl_mode = query.pop("sslmode", None) or query.pop("ssl", None)
    if isinstance(ssl_mode, tuple):
        ssl_mode = ssl_mode[-1]
    if ssl_mode is not None and ssl_mode not in SSL_MODES:
        raise ValueError(f"the sslmode of {shown} is not one of {', '.join(sorted(SSL_MODES))}")
    for name in DROPPED_PARAMETERS:
        query.pop(name, None)

    host = url.host or ""
    try:
        ssl_mode = database_tls.effective_mode(host, ssl_mode)  # Neon: verify-full, never disable
    except ValueError as error:
        raise ValueError(f"{error} ({shown})") from None
    behind_pgbouncer = pgbouncer if pgbouncer is not None else "-pooler." in host

    normalized = url.set(drivername=ASYNC_DRIVER, query=query)
    connect_args: dict[str, Any] = {}
    if ssl_mode is not None:
        connect_args["ssl"] = database_tls.asyncpg_ssl_argument(ssl_mode)
    if behind_pgbouncer:
        connect_args.update(pgbouncer_connect_args())
    return DatabaseTarget(url=normalized, ssl=ssl_mode, pgbouncer=behind_pgbouncer, connect_args=connect_args)


def pgbouncer_connect_args() -> dict[str, Any]:
    """asyncpg settings that survive PgBouncer in transaction mode.

    A transaction may run on a different server connection than the one that prepared a statement, so asyncpg's
    statement caches must be off and every prepared statement needs a name no other client can collide with.
    Decision: history/adr/0003-pgbouncer-transaction-mode.md.
    """
    return {
        "statement_cache_size": 0,
        "prepared_statement_cache_size": 0,
        "prepared_statement_name_func": lambda: f"__asyncpg_{uuid4()}__",
    }
