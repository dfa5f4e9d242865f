"""The restore drill: `shushang backup` of a database with trades on several venues, IP
registrations and data-asset movements; `shushang restore` into a fresh PostgreSQL server;
then every log verifies and the latest signed heads and checkpoints are the same bytes.
Also: a restore into a database that holds Shushang's tables is refused and changes
nothing, a damaged dump is refused, a row changed after the restore is caught, and a dump
is restored only against a ledger key the operator trusts (never one the dump brings)."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from app.cli import cli
from app.core import signed_note as note
from app.core.config import Settings, get_settings
from app.ledger.signing import key_id_of
from app.ops.backup import BackupError, libpq, pg_tool, trusted_keys
from tests.assets.conftest import Books
from tests.e2e.test_serve import clean_env
from tests.factories import idempotent
from tests.ip.test_router import Registry
from tests.trades.conftest import Parties

BIN = Path(sys.executable).parent / "shushang"
VENUES = ("ZJBDEX", "HZDEX", "NBSE", "OTC")


# A data directory with no signing key in it: the commands trust only the keys a test passes.
NO_KEYS = tempfile.mkdtemp(prefix="shushang-no-keys-")


def shushang(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command, in its own process, against the given database only."""
    return subprocess.run(
        [str(BIN), *args],
        env=clean_env(
            DATABASE_URL=database_url, SHUSHANG_LOG_FORMAT="console", SHUSHANG_DATA_DIR=NO_KEYS
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )


def in_process(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The same command run in this process (no interpreter to start, so the drill stays
    quick): in a thread of its own, since the command runs its own event loop."""
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            cli,
            list(args),
            env={
                "SHUSHANG_DATABASE_URL": database_url,
                "DATABASE_URL": None,
                "SHUSHANG_DATA_DIR": NO_KEYS,
                "SHUSHANG_LEDGER_SIGNING_KEY": None,
                "SHUSHANG_LEDGER_VERIFIER_KEYS": None,
            },
        )
    finally:
        get_settings.cache_clear()
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


async def command(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(in_process, database_url, *args)


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[str]:
    """A second PostgreSQL, initdb'd for this test alone, with one empty database."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        from pgserver.postgres_server import get_server

        server: Any = get_server(tmp_path / "fresh", cleanup_mode="delete")
    try:
        server.psql('CREATE DATABASE "restored";')
        plain = server.get_uri("restored")
        yield plain.replace("postgresql://", "postgresql+asyncpg://", 1)
    finally:
        server.cleanup()


async def fetch(url: str, query: str) -> list[tuple[Any, ...]]:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        return [tuple(row) for row in await connection.fetch(query)]
    finally:
        await connection.close()


async def execute(url: str, *statements: str) -> None:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


SIGNED = {
    "ledger_tree_head": "SELECT * FROM ledger_tree_head ORDER BY venue_code, tree_size",
    "ledger_checkpoint": "SELECT * FROM ledger_checkpoint ORDER BY venue_code",
    "ledger_signing_key": "SELECT key_id, public_key FROM ledger_signing_key ORDER BY key_id",
    "ledger_entry": "SELECT venue_code, index, leaf_hash FROM ledger_entry ORDER BY 1, 2",
}
# The tables as they are: a DROP and CREATE (what --clean does) gives each a new file node.
TABLES = (
    "SELECT relname, relfilenode FROM pg_class"
    " WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY relname"
)


async def signed_state(url: str) -> dict[str, list[tuple[Any, ...]]]:
    return {name: await fetch(url, query) for name, query in SIGNED.items()}


async def test_the_restore_drill(
    client: httpx.AsyncClient,
    session: AsyncSession,
    database_url: str,
    fresh_server: str,
    tmp_path: Path,
) -> None:
    # A world: trades on four venues (one with an event), IP registrations granted (IPR),
    # data assets with costs capitalised (FIN), and a checkpoint of every log.
    parties = await Parties().setup(client, session)
    for venue in VENUES:
        for amount in ("100.00", "2500.50"):
            created = await parties.record(venue_code=venue, amount=amount)
            assert created.status_code == 201, created.text
    event = await client.post(
        f"/v1/transactions/{created.json()['id']}/events",
        json={"type": "delivered"},
        headers=idempotent(parties.admin),
    )
    assert event.status_code == 201, event.text
    for name in ("杭州市企业经营画像数据集", "宁波港集装箱吞吐量数据集"):
        registry = await Registry().setup(client, session)  # one registration a product
        await registry.registered(data_name=name)
    books = await Books().setup(client, session)
    await books.capitalised("36000.00", "2025-03-01", months=36)
    await books.capitalised("5000.00", "2025-04-01", asset_class="inventory", source="processed")
    logs = [row[0] for row in await fetch(database_url, "SELECT venue_code FROM ledger_head")]
    assert {*VENUES, "IPR", "FIN"} <= set(logs)
    checkpoints = {}
    for log in logs:
        answer = await client.get(f"/v1/ledgers/{log}/checkpoint")
        assert answer.status_code == 200, answer.text
        checkpoints[log] = answer.text
    before = await signed_state(database_url)
    # The operator's own key, kept apart from any backup (as published, fetched once).
    vkey = (await client.get("/v1/ledgers/OTC/verifier-key")).text.strip()

    dump = tmp_path / "drill.dump"
    backed_up = await asyncio.to_thread(shushang, database_url, "backup", "--output", str(dump))
    assert backed_up.returncode == 0, backed_up.stderr
    metadata = json.loads(backed_up.stdout)
    assert metadata == json.loads((tmp_path / "drill.dump.json").read_text(encoding="utf-8"))
    assert set(metadata["logs"]) == set(logs)
    for log in logs:  # the metadata holds the checkpoint as served
        assert metadata["logs"][log]["checkpoint"]["note"] == checkpoints[log]
    assert dump.stat().st_mode & 0o077 == 0  # it holds every secret the database does

    # Without a key to trust, or with another key than the log's, nothing is restored: the
    # key the dump itself holds (ledger_signing_key) proves nothing.
    empty = await fetch(fresh_server, TABLES)
    untrusted = await asyncio.to_thread(shushang, fresh_server, "restore", str(dump))
    assert untrusted.returncode == 2
    assert "--public-key" in untrusted.stderr
    other = note.verifier_key("someone.else/ledgers/OTC", bytes(range(32)))
    forged = await asyncio.to_thread(
        shushang, fresh_server, "restore", "--public-key", other, str(dump)
    )
    assert forged.returncode == 2
    assert "not signed by a key you trust" in forged.stderr
    assert await fetch(fresh_server, TABLES) == empty

    restored = await asyncio.to_thread(
        shushang, fresh_server, "restore", "--public-key", vkey, str(dump)
    )
    assert restored.returncode == 0, restored.stderr
    assert "signed head and checkpoint match" in restored.stdout
    for log in logs:
        assert f"{log}: " in restored.stdout

    # Every log the restored database has verifies on its own, by the command an operator
    # runs; and the signed heads and checkpoints are the same bytes as before.
    restored_logs = [
        row[0] for row in await fetch(fresh_server, "SELECT venue_code FROM ledger_head")
    ]
    assert sorted(restored_logs) == sorted(logs)
    for log in logs:
        verified = await command(fresh_server, "ledger", "verify", log)
        assert verified.returncode == 0, (log, verified.stderr)
        assert "verified" in verified.stdout
    assert await signed_state(fresh_server) == before

    # A second restore into the now full database is refused, and nothing changes.
    tables = await fetch(fresh_server, TABLES)
    refused = await command(fresh_server, "restore", "--public-key", vkey, str(dump))
    assert refused.returncode == 2
    assert "--clean" in refused.stderr
    assert await fetch(fresh_server, TABLES) == tables
    assert await signed_state(fresh_server) == before

    # A damaged dump is refused before anything is touched.
    damaged = tmp_path / "damaged.dump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    shutil.copy(tmp_path / "drill.dump.json", tmp_path / "damaged.dump.json")
    refused = await command(fresh_server, "restore", "--clean", "--public-key", vkey, str(damaged))
    assert refused.returncode == 2
    assert "SHA-256" in refused.stderr
    assert await fetch(fresh_server, TABLES) == tables

    # Someone changes a restored trade behind the ledger's back: verify names it. Then
    # --clean replaces the tables (past the triggers that refuse UPDATE and DELETE) and
    # the restore verifies again, warning that a log the database held was longer than
    # the backup's (as production is, after the backup: auditors would see a rollback).
    await execute(
        fresh_server,
        "ALTER TABLE trade DISABLE TRIGGER trade_immutable",
        "UPDATE trade SET amount = 999999 WHERE venue_code = 'HZDEX'",
        "ALTER TABLE trade ENABLE TRIGGER trade_immutable",
        "UPDATE ledger_head SET size = size + 5 WHERE venue_code = 'OTC'",
    )
    tampered = await command(fresh_server, "ledger", "verify", "HZDEX")
    assert tampered.returncode == 1
    assert tampered.stderr.startswith("HZDEX index 0:")
    replaced = await command(fresh_server, "restore", "--clean", "--public-key", vkey, str(dump))
    assert replaced.returncode == 0, replaced.stderr
    otc = metadata["logs"]["OTC"]["size"]
    assert f"log OTC from {otc + 5} to {otc} entries" in replaced.stderr
    assert "rollback" in replaced.stderr
    assert await fetch(fresh_server, TABLES) != tables  # dropped and made again
    assert await signed_state(fresh_server) == before
    clean = await command(fresh_server, "ledger", "verify", "--all")
    assert clean.returncode == 0, clean.stderr


def test_the_url_reaches_libpq_through_the_environment_only() -> None:
    found = libpq(
        "postgresql+asyncpg://shushang:s3cr%40t@db.example:6543/exchange"
        "?ssl=true&prepared_statement_cache_size=0"
    )
    assert found.env == {
        "PGHOST": "db.example",
        "PGPORT": "6543",
        "PGUSER": "shushang",
        "PGPASSWORD": "s3cr@t",
        "PGDATABASE": "exchange",
        "PGSSLMODE": "require",
    }
    assert found.ignored == ("prepared_statement_cache_size",)
    assert "s3cr" not in found.where
    socket = libpq("postgresql+asyncpg://postgres@/shushang?host=/tmp/pg")
    assert socket.env == {"PGHOST": "/tmp/pg", "PGUSER": "postgres", "PGDATABASE": "shushang"}


def test_the_tools_are_new_enough_for_the_server() -> None:
    bundled = pg_tool("pg_dump", 16, embedded=True)
    assert "pgserver" in str(bundled)
    with pytest.raises(BackupError, match="PostgreSQL 99 or newer"):
        pg_tool("pg_dump", 99, embedded=False)


def test_backup_never_overwrites(database_url: str, tmp_path: Path) -> None:
    existing = tmp_path / "kept.dump"
    existing.write_bytes(b"an earlier backup")
    result = in_process(database_url, "backup", "--output", str(existing))
    assert result.returncode == 2
    assert "already exists" in result.stderr
    assert existing.read_bytes() == b"an earlier backup"


def test_restore_refuses_what_is_not_a_backup(database_url: str, tmp_path: Path) -> None:
    missing = in_process(database_url, "restore", str(tmp_path / "nowhere.dump"))
    assert missing.returncode == 2
    assert "not a file" in missing.stderr
    junk = tmp_path / "notes.dump"
    junk.write_text("not an archive", encoding="utf-8")
    vkey = note.verifier_key("shushang.local/ledgers/OTC", bytes(range(32)))
    result = in_process(database_url, "restore", "--clean", "--public-key", vkey, str(junk))
    assert result.returncode == 2
    assert "not a pg_dump custom-format archive" in result.stderr


def test_backup_makes_the_directory_it_is_told_to_write_in(
    database_url: str, tmp_path: Path
) -> None:
    output = tmp_path / "backups" / "2026-12" / "nightly.dump"
    result = in_process(database_url, "backup", "--output", str(output))
    assert result.returncode == 0, result.stderr
    assert output.is_file()
    assert (output.parent / "nightly.dump.json").is_file()
    assert output.parent.stat().st_mode & 0o077 == 0  # a dump holds every secret
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory", encoding="utf-8")
    refused = in_process(database_url, "backup", "--output", str(blocked / "x.dump"))
    assert refused.returncode == 2
    assert "not a directory we can make" in refused.stderr


def test_the_keys_a_restore_trusts(tmp_path: Path) -> None:
    """Passed (a verifier key or a PEM file), configured, or the signing key's; a restore
    never creates a key, and a malformed one is refused by name."""
    private = Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    pem = tmp_path / "ledger.pub.pem"
    pem.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    bare = Settings(data_dir=tmp_path / "empty", ledger_signing_key=None)
    assert trusted_keys(bare) == {}
    assert not (tmp_path / "empty").exists()
    assert trusted_keys(bare, [str(pem)]) == {key_id_of(raw): raw}
    vkey = note.verifier_key("shushang.local/ledgers/HZDEX", raw)
    assert trusted_keys(bare, [vkey]) == {key_id_of(raw): raw}
    configured = Settings(data_dir=tmp_path / "empty", ledger_verifier_keys=vkey)
    assert trusted_keys(configured) == {key_id_of(raw): raw}
    signing = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    assert trusted_keys(Settings(data_dir=tmp_path, ledger_signing_key=signing)) == {
        key_id_of(raw): raw
    }
    with pytest.raises(BackupError, match="--public-key"):
        trusted_keys(bare, ["name+00+AAAA"])
    with pytest.raises(BackupError, match="--public-key"):
        trusted_keys(bare, [str(tmp_path / "missing.pem")])


def test_ledger_verify_takes_one_log_or_all() -> None:
    neither = CliRunner().invoke(cli, ["ledger", "verify"])
    both = CliRunner().invoke(cli, ["ledger", "verify", "HZDEX", "--all"])
    assert neither.exit_code == both.exit_code == 2
    assert "--all" in neither.stderr
