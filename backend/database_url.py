"""Turn whatever connection string people paste into what SQLAlchemy + asyncpg accept.

Spec: US1 scenario 2 ("connection using the postgresql+asyncpg:// protocol"). Decision:
history/adr/0004-neon-url-normalization-and-tls.md.

Neon's console gives ``postgresql://user:pass@ep-x-pooler.region.aws.neon.tech/db?sslmode=require&channel_binding=require``.
asyncpg takes TLS as an ``ssl`` argument and rejects ``sslmode``/``channel_binding`` as keyword arguments, so they
are translated here, once, instead of failing at the first query in production.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

ASYNC_DRIVER = "postgresql+asyncpg"
ACCEPTED_SCHEMES = {"postgres", "postgresql", "postgresql+asyncpg"}
SSL_MODES = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}
# Query parameters libpq understands but asyncpg does not; dropping them loses nothing asyncpg could use.
DROPPED_PARAMETERS = {"channel_binding", "sslrootcert", "sslcert", "sslkey", "gssencmode", "connect_timeout"}


@dataclass(frozen=True)
class DatabaseTarget:
    """A normalized database address: SQLAlchemy URL plus the asyncpg arguments it implies."""

    url: URL
    ssl: str | None
    pgbouncer: bool
    connect_args: dict[str, Any] = field(default_factory=dict)

    @property
    def safe_description(self) -> str:
        """For logs and reports: host and database, never the password."""
        host = self.url.host or self.url.query.get("host") or "local socket"
        return f"{host}/{self.url.database or ''}"


def parse_database_url(raw: str, *, pgbouncer: bool | None) -> DatabaseTarget:
    """Normalize ``raw``; ``pgbouncer=None`` means detect Neon's pooler from the host name.

    Raises ValueError with a message that never contains the password.
    """
    try:
        url = make_url(raw.strip())
    except ArgumentError:
        raise ValueError("not a database URL (expected postgresql://user:password@host/dbname)") from None
    if url.drivername not in ACCEPTED_SCHEMES:
        raise ValueError(f"unsupported scheme {url.drivername!r}; use postgresql:// (asyncpg is selected for you)")
    if not url.database:
        raise ValueError("the URL names no database (…/dbname)")

    query = dict(url.query)
    ssl_mode = query.pop("sslmode", None) or query.pop("ssl", None)
    if isinstance(ssl_mode, tuple):
        ssl_mode = ssl_mode[-1]
    if ssl_mode is not None and ssl_mode not in SSL_MODES:
        raise ValueError(f"sslmode {ssl_mode!r} is not one of {', '.join(sorted(SSL_MODES))}")
    for name in DROPPED_PARAMETERS:
        query.pop(name, None)

    host = url.host or ""
    if ssl_mode is None and host.endswith(".neon.tech"):
        ssl_mode = "require"  # Neon refuses plain-text connections; never let a pasted URL downgrade that.
    behind_pgbouncer = pgbouncer if pgbouncer is not None else "-pooler." in host

    normalized = url.set(drivername=ASYNC_DRIVER, query=query)
    connect_args: dict[str, Any] = {}
    if ssl_mode is not None:
        connect_args["ssl"] = ssl_mode
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
