"""``make run``: the development server; ``make token USER=alice``: a token it accepts.

With no DATABASE_URL it starts the embedded PostgreSQL (data kept in ``.data/postgres``, git-ignored), migrates it
and serves with auto-reload. The reloader watches the source (``backend/``) only, through watchfiles' file events
(requirements-dev.txt): polling the whole checkout, ``.venv`` included (~2,700 ``.py`` files), kept a quarter to
all of a core busy and slowed the start.

Unless BETTER_AUTH_SECRET is set, the server uses a development secret generated once and kept in
``.data/dev-secret`` (0600, git-ignored, never committed), so the tokens ``make token`` prints stay valid across
reloads and restarts. Nothing else to install.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import tempfile

from backend.local.postgres import LocalPostgres, PostgresSetupError
from backend.local.rehearsal import ROOT, run_migrations
from backend.local.tokens import mint_token

DATA = ROOT / ".data"
DEV_PORT = 54329
SOURCE = ROOT / "backend"
TOKEN_LIFETIME_SECONDS = 24 * 3600


def development_secret() -> str:
    """BETTER_AUTH_SECRET (or JWT_SECRET) when set, else ``.data/dev-secret``, generated on first use."""
    configured = os.environ.get("BETTER_AUTH_SECRET") or os.environ.get("JWT_SECRET")
    if configured:
        return configured
    path = DATA / "dev-secret"
    if not path.exists():
        DATA.mkdir(exist_ok=True)
        descriptor, draft = tempfile.mkstemp(dir=DATA, prefix=".dev-secret-")  # mode 0600
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(draft, path)  # atomic: a concurrent first run keeps whichever secret landed first
        except FileExistsError:
            pass
        finally:
            os.unlink(draft)
    return path.read_text().strip()


def token(user_id: str) -> str:
    """An HS256 token for ``user_id`` as Better Auth would sign it, with JWT_ISSUER/JWT_AUDIENCE when set."""
    claims = {claim: os.environ[variable] for claim, variable in (("iss", "JWT_ISSUER"), ("aud", "JWT_AUDIENCE"))
              if os.environ.get(variable)}
    return mint_token(development_secret(), user_id, expires_in=TOKEN_LIFETIME_SECONDS, **claims)


def start_postgres() -> LocalPostgres:
    """``.data/postgres``, or a throwaway cluster when the server's user cannot reach it (root, private checkout)."""
    postgres = LocalPostgres(DATA / "postgres", port=DEV_PORT)
    try:
        postgres.start()
        where = "data in .data/postgres"
    except PostgresSetupError as error:
        postgres.close()
        print(f"{error}; this run's data is thrown away when it stops", flush=True)
        postgres = LocalPostgres(port=DEV_PORT).start()
        where = "throwaway data"
    print(f"embedded PostgreSQL on 127.0.0.1:{postgres.port} ({where})", flush=True)
    return postgres


def serve() -> int:
    environment = dict(os.environ)
    postgres = None
    if not environment.get("DATABASE_URL"):
        postgres = start_postgres()
        environment["DATABASE_URL"] = postgres.url
    try:
        environment.setdefault("ENVIRONMENT", "development")
        environment.setdefault("BETTER_AUTH_SECRET", development_secret())
        run_migrations(environment)
        port = environment.get("PORT", "8000")
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "backend.main:create_app_from_environment", "--factory",
             "--reload", "--reload-dir", str(SOURCE), "--host", "127.0.0.1", "--port", port],
            cwd=ROOT, env=environment,
        )
        print(f"a token for it: make token USER=alice (then: curl -H \"Authorization: Bearer $TOKEN\" "
              f"http://127.0.0.1:{port}/api/alice/tasks)", flush=True)
        # Ctrl-C or SIGTERM: stop the server first, then the database it uses, so nothing is left running.
        signal.signal(signal.SIGTERM, lambda *_: server.terminate())
        try:
            return server.wait()
        except KeyboardInterrupt:
            server.terminate()
            return server.wait()
    finally:
        if postgres is not None:
            postgres.close()


def main(arguments: list[str]) -> int | str:
    if not arguments:
        return serve()
    if arguments[0] == "token" and len(arguments) == 2 and arguments[1]:
        print(token(arguments[1]))
        return 0
    return "usage: python -m backend.local.dev [token USER_ID]"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
