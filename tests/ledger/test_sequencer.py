"""Appending to a log from several connections at once: the head row's lock orders them."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from app.core.db import driver_of
from app.ledger import sequencer
from app.ledger.sequencer import Leaf
from app.ledger.sequencer import canonical as canonical_entry
from tests.ledger.test_merkle import ref_mth

LOG = "SEQTEST"


def leaves(start: int, count: int) -> list[Leaf]:
    import uuid

    return [Leaf.of("trade", uuid.uuid4(), {"n": n}) for n in range(start, start + count)]


async def append(
    engine: AsyncEngine, batch: list[Leaf], known: sequencer.Frontiers | None = None
) -> list[int]:
    async with engine.connect() as connection:
        raw = await driver_of(connection)
        async with raw.transaction():
            indices, frontier = await sequencer.append_many(raw, LOG, batch, known)
    if known is not None:
        known.keep(LOG, frontier)
    return indices


async def test_an_append_that_waited_for_the_lock_builds_on_the_holders_leaves(
    app: FastAPI,
) -> None:
    engine: AsyncEngine = app.state.engine
    assert await append(engine, leaves(0, 3)) == [0, 1, 2]
    holding, release = asyncio.Event(), asyncio.Event()

    async def holder() -> list[int]:
        async with engine.connect() as connection:
            raw = await driver_of(connection)
            async with raw.transaction():
                indices, _ = await sequencer.append_many(raw, LOG, leaves(3, 5))
                holding.set()
                await release.wait()  # commits only once the other append waits
                return indices

    first = asyncio.create_task(holder())
    await holding.wait()
    second = asyncio.create_task(append(engine, leaves(8, 8)))  # completes (4, 0)
    await asyncio.sleep(0.3)
    assert not second.done()  # queued on the head row
    release.set()
    assert await first == [3, 4, 5, 6, 7]
    assert await second == list(range(8, 16))

    await assert_subtrees(engine, 16)


async def test_a_kept_frontier_is_used_only_while_the_log_has_not_grown_elsewhere(
    app: FastAPI,
) -> None:
    engine: AsyncEngine = app.state.engine
    known = sequencer.Frontiers()
    assert await append(engine, leaves(0, 5), known) == list(range(5))
    assert await append(engine, leaves(5, 6), known) == list(range(5, 11))  # kept: 5 leaves
    assert await append(engine, leaves(11, 2)) == [11, 12]  # another writer appends
    assert known.get(LOG, 13) is None  # so the kept edge (11 leaves) is not used
    assert await append(engine, leaves(13, 19), known) == list(range(13, 32))
    await assert_subtrees(engine, 32)


async def assert_subtrees(engine: AsyncEngine, size: int) -> None:
    """Every stored subtree hash is the hash of the leaves under it (RFC 9162 MTH)."""
    async with engine.connect() as connection:
        raw = await driver_of(connection)
        entries = [
            r["entry"]
            for r in await raw.fetch(
                "SELECT entry FROM ledger_entry WHERE venue_code = $1 ORDER BY index", LOG
            )
        ]
        nodes = await raw.fetch(
            "SELECT level, index, hash FROM ledger_node WHERE venue_code = $1", LOG
        )
    assert entries == [canonical_entry({"n": n}) for n in range(size)]
    assert len(nodes) == sum(size >> level for level in range(size.bit_length()))
    for node in nodes:
        start = node["index"] << node["level"]
        assert node["hash"] == ref_mth(entries[start : start + (1 << node["level"])]), node
