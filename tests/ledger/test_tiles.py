"""C2SP tlog-tiles: hash tiles of height 8, full and partial, and entry bundles."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.core.db import driver_of
from app.core.roles import Role
from app.ledger import merkle, sequencer, tiles
from app.ledger.sequencer import Leaf
from tests.factories import auth, make_key, make_merchant
from tests.ledger.test_merkle import ref_mth

LOG = "TILES"


async def grow(app: FastAPI, count: int) -> list[bytes]:
    """A log of `count` leaves (appended directly: tiles need only the stored hashes)."""
    engine: AsyncEngine = app.state.engine
    batch = [Leaf.of("trade", uuid.uuid4(), {"n": n}) for n in range(count)]
    async with engine.connect() as connection:
        raw = await driver_of(connection)
        async with raw.transaction():
            await sequencer.append_many(raw, LOG, batch)
    return [leaf.data for leaf in batch]


def test_paths() -> None:
    assert tiles.encode_index(0) == "000"
    assert tiles.encode_index(1234067) == "x001/x234/067"
    assert tiles.parse(0, "x001/x234/067") == tiles.Tile(0, 1234067, 256)
    assert tiles.parse(2, "001.p/17") == tiles.Tile(2, 1, 17)
    assert tiles.path_of(tiles.Tile(1, 1000, 5)) == "tile/1/x001/000.p/5"
    for bad in ("1", "0001", "x000/001", "001.p/0", "001.p/256", "001.p/07", "x01/001", "a.p/1"):
        with pytest.raises(tiles.BadTilePath):
            tiles.parse(0, bad)


async def test_hash_tiles(app: FastAPI, client: httpx.AsyncClient) -> None:
    entries = await grow(app, 513)
    leaves = [merkle.leaf_hash(e) for e in entries]

    full = await client.get(f"/v1/ledgers/{LOG}/tile/0/001")
    assert full.status_code == 200
    assert full.headers["content-type"] == "application/octet-stream"
    assert full.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert full.content == b"".join(leaves[256:512])

    partial = await client.get(f"/v1/ledgers/{LOG}/tile/0/002.p/1")
    assert partial.status_code == 200 and partial.content == leaves[512]
    assert "immutable" not in partial.headers["cache-control"]

    upper = await client.get(f"/v1/ledgers/{LOG}/tile/1/000.p/2")
    assert upper.status_code == 200
    assert upper.content == ref_mth(entries[:256]) + ref_mth(entries[256:512])

    for path, status in (
        ("tile/0/002", 404),  # not full yet
        ("tile/0/002.p/2", 404),  # wider than the log
        ("tile/1/000", 404),
        ("tile/2/000.p/1", 404),
        ("tile/63/000.p/1", 404),
        ("tile/64/000", 422),
        ("tile/01/000", 422),
        ("tile/0/2", 422),
        ("tile/0/x000/002", 422),
        ("tile/0/002.p/300", 422),
        ("tile/0/x999/x999/x999/x999/x999/x999/x999/999", 404),
    ):
        answer = await client.get(f"/v1/ledgers/{LOG}/{path}")
        assert answer.status_code == status, (path, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    assert (await client.get("/v1/ledgers/NOPE/tile/0/000.p/1")).status_code == 404


async def test_entry_bundles_for_staff_only(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    entries = await grow(app, 258)
    auditor = auth(await make_key(session, Role.auditor))
    merchant = auth(await make_key(session, Role.merchant, (await make_merchant(session)).id))
    bundle = await client.get(f"/v1/ledgers/{LOG}/tile/entries/001.p/2", headers=auditor)
    assert bundle.status_code == 200
    assert bundle.content == tiles.bundle(entries[256:258])
    assert bundle.headers["cache-control"].startswith("private")
    first = await client.get(f"/v1/ledgers/{LOG}/tile/entries/000", headers=auditor)
    assert first.content == b"".join(len(e).to_bytes(2, "big") + e for e in entries[:256])
    assert (await client.get(f"/v1/ledgers/{LOG}/tile/entries/000")).status_code == 401
    denied = await client.get(f"/v1/ledgers/{LOG}/tile/entries/000", headers=merchant)
    assert denied.status_code == 403
