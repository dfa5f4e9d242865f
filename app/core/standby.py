"""A local primary and its hot standby, built from the embedded PostgreSQL's own binaries
(the `pgserver` wheel): what tests/e2e/test_replica.py and `bench.load --replica` run the
service against. No network: both servers listen on Unix sockets only.

The steps are the ones docs/scaling.md gives an operator: a primary with
`wal_level = replica` and WAL senders, `pg_basebackup -R` (which writes `standby.signal`
and `primary_conninfo`), and a second `postgres` on the copy.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from app.core import embedded

PRIMARY_PORT = 5432
STANDBY_PORT = 5433


def _binaries() -> Path:
    found = embedded.binaries()
    if found is None:
        raise RuntimeError("the pgserver wheel is not installed: no PostgreSQL programs")
    return found


@dataclass
class Replication:
    """A running primary and hot standby under `root`; their SQLAlchemy URLs."""

    root: Path
    sockets: Path
    database: str
    user: str | None  # the system user the servers run as (PostgreSQL refuses root)

    @property
    def primary_data(self) -> Path:
        return self.root / "primary"

    @property
    def standby_data(self) -> Path:
        return self.root / "standby"

    def url(self, port: int, database: str | None = None) -> str:
        name = database or self.database
        return f"postgresql+asyncpg://postgres@/{name}?host={self.sockets}&port={port}"

    @property
    def primary_url(self) -> str:
        return self.url(PRIMARY_PORT)

    @property
    def standby_url(self) -> str:
        return self.url(STANDBY_PORT)

    def run(self, program: str, *args: str, check: bool = True) -> str:
        done = subprocess.run(
            [str(_binaries() / program), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            cwd=self.root,
            user=self.user,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"{program} {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        out: str = done.stdout
        return out

    def psql(self, port: int, sql: str, database: str = "postgres") -> str:
        return self.run(
            "psql", "-X", "-A", "-t", "-h", str(self.sockets), "-p", str(port), "-U", "postgres",
            "-d", database, "-c", sql,
        ).strip()  # fmt: skip

    def start_server(self, data: Path, port: int) -> None:
        self.run(
            "pg_ctl", "-D", str(data), "-l", str(data / "server.log"), "-w", "-t", "60",
            "-o", f"-p {port} -k {self.sockets} -h ''", "start",
        )  # fmt: skip

    def stop_server(self, data: Path, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(data), "-m", mode, "-w", "stop", check=False)

    def stop_standby(self, mode: str = "immediate") -> None:
        """The standby's loss: `immediate` is a crash, as far as its clients can tell."""
        self.stop_server(self.standby_data, mode)

    def pause_replay(self) -> None:
        self.psql(STANDBY_PORT, "SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        self.psql(STANDBY_PORT, "SELECT pg_wal_replay_resume()")

    def caught_up(self, timeout: float = 30.0) -> None:
        """Wait until the standby has replayed everything committed on the primary so far."""
        # A commit that waits for its flush flushes all WAL before it, also that of commits
        # made with synchronous_commit off (the tests' servers).
        self.psql(PRIMARY_PORT, "SET synchronous_commit = on; SELECT txid_current()")
        target = self.psql(PRIMARY_PORT, "SELECT pg_current_wal_flush_lsn()")
        deadline = time.monotonic() + timeout
        while True:
            done = self.psql(STANDBY_PORT, f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")
            if done == "t":
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"the standby did not reach {target}")
            time.sleep(0.05)


def _as_user(root: Path) -> str | None:
    """Under root, the servers run as pgserver's own system user, as the embedded one does."""
    if os.geteuid() != 0:
        return None
    from pgserver.utils import ensure_prefix_permissions, ensure_user_exists

    ensure_user_exists("pgserver")
    ensure_prefix_permissions(root)
    shutil.chown(root, "pgserver", "pgserver")
    return "pgserver"


@contextlib.contextmanager
def replicated(
    root: Path, database: str = "shushang", durable: bool = True
) -> Iterator[Replication]:
    """A primary (initdb under `root/primary`, database `database` created) and a hot
    standby cloned from it with `pg_basebackup -R` (`root/standby`), both running until
    the block ends. `durable=False` turns fsync off on both (tests)."""
    root.mkdir(parents=True, exist_ok=True)
    # A socket path is limited to ~100 bytes: keep the directory short, outside `root`.
    sockets = Path(tempfile.mkdtemp(prefix="shs-", dir="/tmp"))
    user = _as_user(root)
    if user:
        sockets.chmod(0o777)
    pair = Replication(root=root, sockets=sockets, database=database, user=user)
    started: list[Path] = []
    try:
        pair.run(
            "initdb", "-D", str(pair.primary_data), "-U", "postgres", "--auth=trust",
            "--encoding=utf8", "--locale=C.UTF-8",
        )  # fmt: skip
        settings = [
            "wal_level = replica",
            "max_wal_senders = 4",
            "hot_standby = on",
            "listen_addresses = ''",
            # Long reads on the standby are not cancelled by replay for 30 s (the
            # service retries a cancelled read on the primary anyway).
            "max_standby_streaming_delay = 30s",
        ]
        if not durable:
            settings += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        with (pair.primary_data / "postgresql.conf").open("a") as conf:
            conf.write("\n# app/core/standby.py\n" + "\n".join(settings) + "\n")
        # initdb's pg_hba.conf already trusts local replication connections.
        pair.start_server(pair.primary_data, PRIMARY_PORT)
        started.append(pair.primary_data)
        pair.psql(PRIMARY_PORT, f'CREATE DATABASE "{database}"')
        pair.run(
            "pg_basebackup", "-D", str(pair.standby_data), "-R", "-X", "stream", "-c", "fast",
            "-h", str(sockets), "-p", str(PRIMARY_PORT), "-U", "postgres",
        )  # fmt: skip
        pair.start_server(pair.standby_data, STANDBY_PORT)
        started.append(pair.standby_data)
        yield pair
    finally:
        for data in reversed(started):
            pair.stop_server(data, "immediate")
        shutil.rmtree(sockets, ignore_errors=True)
