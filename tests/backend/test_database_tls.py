"""verify-full for real (issue 9 item 11, ADR 0004): asyncpg, given the context ``parse_database_url`` builds,
talks to a server on loopback that answers PostgreSQL's SSLRequest and then presents a certificate made for this
run. Neon cannot exist here; its certificate chain is what the system CA bundle stands for (``SSL_CERT_FILE``).

Untrusted CA → refused. Trusted CA, wrong host name → refused. Trusted CA, right host → the handshake completes
(the stand-in then hangs up: it speaks no more PostgreSQL than that).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
import trustme

from backend import database_tls
from backend.database_url import parse_database_url

pytestmark = pytest.mark.anyio

SSL_REQUEST = (8).to_bytes(4, "big") + (80877103).to_bytes(4, "big")


@dataclass
class Pki:
    ca_path: Path  # the CA's certificate, for SSL_CERT_FILE
    server: trustme.LeafCert


def make_pki(directory: Path, host: str) -> Pki:
    """A throwaway CA (trustme's) and a server certificate it signed for ``host``."""
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(directory / "ca.pem"))
    return Pki(directory / "ca.pem", ca.issue_cert(host))


async def tls_stand_in(pki: Pki) -> AsyncIterator[int]:
    """Answers "S" to an SSLRequest, completes the TLS handshake with ``pki``'s certificate, then hangs up."""
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    pki.server.configure_cert(server_context)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if await reader.readexactly(8) == SSL_REQUEST:
                writer.write(b"S")
                await writer.drain()
                await writer.start_tls(server_context)
        except (OSError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


async def handshake_error(port: int) -> BaseException:
    """Connect as the app would with ``sslmode=verify-full`` and return what stopped the connection."""
    target = parse_database_url(f"postgresql://u@127.0.0.1:{port}/db?sslmode=verify-full", pgbouncer=False)
    try:
        connection = await asyncpg.connect(user="u", host="127.0.0.1", port=port, database="db", timeout=10,
                                           ssl=target.connect_args["ssl"])
    except BaseException as error:
        return error
    await connection.close()
    raise AssertionError("the stand-in speaks no PostgreSQL: the connection cannot succeed")


def is_verification_failure(error: BaseException) -> bool:
    return isinstance(error, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(error)


@pytest.fixture
def trust(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Make ``pki``'s CA the system bundle, as Neon's public CA is on Railway; rebuild the cached context."""
    def use(pki: Pki) -> None:
        monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca_path))
        database_tls.verifying_context.cache_clear()

    yield use
    database_tls.verifying_context.cache_clear()


async def test_an_untrusted_certificate_is_refused(tmp_path: Path) -> None:
    database_tls.verifying_context.cache_clear()
    pki = make_pki(tmp_path, "127.0.0.1")
    async for port in tls_stand_in(pki):
        error = await handshake_error(port)

    assert is_verification_failure(error), repr(error)


async def test_a_trusted_certificate_for_another_host_is_refused(tmp_path: Path, trust: object) -> None:
    pki = make_pki(tmp_path, "db.example.com")
    trust(pki)  # type: ignore[operator]
    async for port in tls_stand_in(pki):
        error = await handshake_error(port)

    assert is_verification_failure(error), repr(error)
    assert "match" in str(error).lower() or "hostname" in str(error).lower(), repr(error)


async def test_a_trusted_certificate_for_this_host_completes_the_handshake(tmp_path: Path, trust: object) -> None:
    pki = make_pki(tmp_path, "127.0.0.1")
    trust(pki)  # type: ignore[operator]
    async for port in tls_stand_in(pki):
        error = await handshake_error(port)

    assert not is_verification_failure(error), repr(error)  # TLS was fine; the stand-in then hung up
    assert isinstance(error, (ConnectionError, OSError, asyncpg.PostgresError)), repr(error)
