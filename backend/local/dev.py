"""``make run``: the development server. With no DATABASE_URL it starts the embedded PostgreSQL (data kept in
``.data/postgres``, git-ignored), migrates it and serves with auto-reload. Nothing else to install.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from backend.local.postgres import LocalPostgres
from backend.local.rehearsal import ROOT, run_migrations

DEV_PORT = 54329


def main() -> int:
    environment = dict(os.environ)
    postgres = None
    if not environment.get("DATABASE_URL"):
        postgres = LocalPostgres(ROOT / ".data" / "postgres", port=DEV_PORT).start()
        environment["DATABASE_URL"] = postgres.url
        print(f"embedded PostgreSQL on 127.0.0.1:{postgres.port} (data in .data/postgres)", flush=True)
    environment.setdefault("ENVIRONMENT", "development")
    run_migrations(environment)
    port = environment.get("PORT", "8000")
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "backend.main:create_app_from_environment", "--factory",
         "--reload", "--host", "127.0.0.1", "--port", port],
        cwd=ROOT, env=environment,
    )
    # Ctrl-C or SIGTERM: stop the server first, then the database it uses, so nothing is left running.
    signal.signal(signal.SIGTERM, lambda *_: server.terminate())
    try:
        return server.wait()
    except KeyboardInterrupt:
        server.terminate()
        return server.wait()
    finally:
        if postgres is not None:
            postgres.stop()


if __name__ == "__main__":
    sys.exit(main())
