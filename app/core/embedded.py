"""The embedded default: a private PostgreSQL 16 from the `pgserver` wheel under the data directory.

`pgserver` keeps one server per data directory and counts the processes using it, so
`shushang serve`, `shushang migrate` and `shushang keys create` share one server, and it
stops cleanly when the last of them exits. It listens on a Unix socket only.
"""

from __future__ import annotations

import importlib.util
import logging
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

DATABASE_NAME = "shushang"

logger = logging.getLogger("shushang.embedded")


def binaries() -> Path | None:
    """The directory of the `pgserver` wheel's PostgreSQL programs (postgres, pg_ctl,
    pg_dump, pg_basebackup, …), without importing the wheel (an import warns and touches
    the user's runtime directory); None if the wheel is not installed."""
    spec = importlib.util.find_spec("pgserver")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "pginstall" / "bin"


def start(data_dir: Path, database: str = DATABASE_NAME, cleanup: str = "stop") -> str:
    """Start (or join) the embedded server; the asyncpg URL of `database`, created if missing."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        from pgserver.postgres_server import get_server

        pgdata = (data_dir / "pgdata").resolve()
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        server: Any = get_server(pgdata, cleanup_mode=cleanup)
    socket_dir = parse_qs(urlparse(server.get_uri()).query)["host"][0]
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
        logger.info("created database %s in %s", database, pgdata)
    return f"postgresql+asyncpg://postgres@/{database}?host={socket_dir}"
