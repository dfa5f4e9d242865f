"""`shushang ledger verify`: a clean log verifies; a tampered row is named by its index."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.e2e.test_serve import clean_env
from tests.factories import idempotent
from tests.trades.conftest import Parties


async def verify(database_url: str, venue: str) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "shushang"), "ledger", "verify", venue]
    return await asyncio.to_thread(
        subprocess.run,
        command,
        env=clean_env(DATABASE_URL=database_url),
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_verify_and_tamper(
    client: httpx.AsyncClient, session: AsyncSession, database_url: str
) -> None:
    parties = await Parties().setup(client, session)
    ids = [
        (await parties.record(venue_code="HZDEX", amount=f"{n}.00")).json()["id"]
        for n in range(1, 8)
    ]
    await client.post(
        f"/v1/transactions/{ids[2]}/events",
        json={"type": "delivered"},
        headers=idempotent(parties.admin),
    )
    assert (await client.get("/v1/ledgers/HZDEX/tree-head")).json()["tree_size"] == 8

    clean = await verify(database_url, "HZDEX")
    assert clean.returncode == 0, clean.stderr
    assert "8 entries" in clean.stdout

    # Someone with database rights changes a trade behind the ledger's back.
    await session.execute(text("ALTER TABLE trade DISABLE TRIGGER trade_immutable"))
    await session.execute(text("UPDATE trade SET amount = 999999 WHERE id = :id"), {"id": ids[4]})
    await session.execute(text("ALTER TABLE trade ENABLE TRIGGER trade_immutable"))
    await session.commit()
    tampered = await verify(database_url, "HZDEX")
    assert tampered.returncode == 1
    first_line = tampered.stderr.strip().splitlines()[0]
    assert first_line.startswith("HZDEX index 4:")
    assert "root" in tampered.stderr  # the signed head no longer matches either


def test_the_ledger_imports_no_domain() -> None:
    """The domains register their leaves with the ledger (app/wiring.py), never the reverse:
    no package cycle, and a new log needs no change to the ledger."""
    import ast

    allowed = {
        "app.ledger",
        "app.audit",  # the audit trail is everyone's, not a domain: cosignatures are audited
        "app.core",  # the kernel and the HTTP layer are no domain (docs/architecture.md)
        "app.web",
    }
    package = Path(__file__).resolve().parents[2] / "app" / "ledger"
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name == "app" or name.startswith("app."):
                    assert any(name == a or name.startswith(a + ".") for a in allowed), (
                        source.name,
                        name,
                    )


async def test_an_empty_or_unknown_log_is_not_verified(
    client: httpx.AsyncClient, database_url: str
) -> None:
    empty = await verify(database_url, "NBSE")
    assert empty.returncode == 1 and "nothing to verify" in empty.stderr
    unknown = await verify(database_url, "NOPE")
    assert unknown.returncode == 1 and "no log NOPE" in unknown.stderr
    assert "verified" not in unknown.stdout + empty.stdout
