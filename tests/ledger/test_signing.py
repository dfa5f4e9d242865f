"""Signing keys: created once under the data directory, or given; rotation keeps old heads
verifiable by their key id."""

from __future__ import annotations

from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.ledger.signing import load_or_create, tree_head_message, verify
from app.main import create_app
from tests.trades.conftest import Parties


def test_the_key_file_is_created_once_and_private(tmp_path: Path) -> None:
    first = load_or_create(tmp_path, None)
    again = load_or_create(tmp_path, None)
    assert first.key_id == again.key_id
    assert (tmp_path / "ledger-signing-key.pem").stat().st_mode & 0o777 == 0o600


async def test_rotation_keeps_old_heads_verifiable(
    settings: Settings, session: AsyncSession, client: httpx.AsyncClient
) -> None:
    parties = await Parties().setup(client, session)
    await parties.record(venue_code="HZDEX")
    old_head = (await client.get("/v1/ledgers/HZDEX/tree-head")).json()

    new_key = (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    rotated = create_app(settings.model_copy(update={"ledger_signing_key": new_key}))
    try:
        transport = httpx.ASGITransport(app=rotated)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as after:
            parties.client = after
            await parties.record(venue_code="HZDEX")
            new_head = (await after.get("/v1/ledgers/HZDEX/tree-head")).json()
    finally:
        await rotated.state.engine.dispose()
    assert new_head["key_id"] != old_head["key_id"] and new_head["tree_size"] == 2

    heads = (
        await session.execute(
            text(
                "SELECT h.tree_size, h.root_hash, h.timestamp, h.signature, k.public_key "
                "FROM ledger_tree_head h JOIN ledger_signing_key k USING (key_id) "
                "WHERE h.venue_code = 'HZDEX' ORDER BY h.tree_size"
            )
        )
    ).all()
    assert [h.tree_size for h in heads] == [1, 2]
    for head in heads:
        message = tree_head_message("HZDEX", head.tree_size, head.root_hash, head.timestamp)
        assert verify(head.public_key, head.signature, message)
