"""Queries on the ledger: the head row, entries, subtree hashes, signed heads, keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import Driver, driver, utcnow
from app.ledger.merkle import Node
from app.ledger.models import (
    Checkpoint,
    Cosignature,
    LedgerEntry,
    LedgerHead,
    SigningKey,
    TreeHead,
)

# Appending runs on the driver connection (asyncpg), in the caller's transaction: it is the
# hot path of recording trades, a few statements per batch of trades.


_FRONTIER = """
SELECT l.level, n.index, n.hash
FROM generate_series(0, 62) AS l (level),
LATERAL (SELECT index, hash FROM ledger_node
         WHERE venue_code = $1 AND level = l.level AND index = ($2 >> l.level) - 1) AS n
WHERE ($2 >> l.level) & 1 = 1
"""


async def lock_head(connection: Driver, venue_code: str) -> int:
    """The venue's log size, its head row locked until the transaction ends (appends queue
    here). The row is made on a venue's first append."""
    size: int = await connection.fetchval(
        "INSERT INTO ledger_head AS head (venue_code, size) VALUES ($1, 0)"
        " ON CONFLICT (venue_code) DO UPDATE SET size = head.size RETURNING size",
        venue_code,
    )
    return size


async def frontier(connection: Driver, venue_code: str, size: int) -> dict[Node, bytes]:
    """The complete subtrees of a log of `size` leaves still waiting for a right sibling
    (one per 1 bit of the size): all an append needs of what is stored.

    Read by a statement of its own once the head is locked: a statement sees what was
    committed when it began, so one that began before the lock was granted would miss the
    nodes of the append that held it.
    """
    if not size:
        return {}
    rows = await connection.fetch(_FRONTIER, venue_code, size)
    return {(r["level"], r["index"]): r["hash"] for r in rows}


async def nodes(connection: Any, venue_code: str, wanted: Sequence[Node]) -> dict[Node, bytes]:
    """The stored complete subtrees among `wanted`: one index probe each, however large the
    log (the lateral subquery keeps the planner from scanning a venue's every node).
    `connection` is a Driver, or a plain asyncpg connection (the proof benchmark's)."""
    if not wanted:
        return {}
    rows = await connection.fetch(
        "SELECT w.level, w.index, n.hash"
        " FROM unnest($2::smallint[], $3::bigint[]) AS w (level, index),"
        " LATERAL (SELECT hash FROM ledger_node"
        "  WHERE venue_code = $1 AND level = w.level AND index = w.index LIMIT 1) AS n",
        venue_code,
        [level for level, _ in wanted],
        [index for _, index in wanted],
    )
    return {(row["level"], row["index"]): row["hash"] for row in rows}


_APPEND = """
WITH entries AS (
    INSERT INTO ledger_entry (venue_code, index, kind, ref_id, entry, leaf_hash, created_at)
    SELECT $1, e.index, e.kind, e.ref_id, e.entry, e.leaf_hash, now()
    FROM unnest($2::bigint[], $3::text[], $4::uuid[], $5::bytea[], $6::bytea[])
         AS e (index, kind, ref_id, entry, leaf_hash)
), nodes AS (
    INSERT INTO ledger_node (venue_code, level, index, hash)
    SELECT $1, n.level, n.index, n.hash
    FROM unnest($7::smallint[], $8::bigint[], $9::bytea[]) AS n (level, index, hash)
)
UPDATE ledger_head SET size = $10 WHERE venue_code = $1
"""


async def add_leaves(
    connection: Driver,
    venue_code: str,
    entries: Sequence[tuple[int, str, UUID, bytes, bytes]],
    new_nodes: dict[Node, bytes],
    size: int,
) -> None:
    """Entries as (index, kind, ref_id, entry, leaf_hash), the complete subtrees they make,
    and the log's new size: one statement, however many leaves."""
    await connection.execute(
        _APPEND,
        venue_code,
        [e[0] for e in entries],
        [e[1] for e in entries],
        [e[2] for e in entries],
        [e[3] for e in entries],
        [e[4] for e in entries],
        [level for level, _ in new_nodes],
        [index for _, index in new_nodes],
        list(new_nodes.values()),
        size,
    )


async def level_hashes(
    connection: Driver, venue_code: str, level: int, start: int, end: int
) -> list[tuple[int, bytes]]:
    """The stored complete subtrees of Merkle level `level`, indices [start, end), in order
    (level 0: the leaf hashes)."""
    rows = await connection.fetch(
        "SELECT index, hash FROM ledger_node"
        " WHERE venue_code = $1 AND level = $2 AND index >= $3 AND index < $4 ORDER BY index",
        venue_code,
        level,
        start,
        end,
    )
    return [(row["index"], row["hash"]) for row in rows]


async def entry_bytes(
    connection: Driver, venue_code: str, start: int, end: int
) -> list[tuple[int, bytes]]:
    """The stored entries [start, end), in order."""
    rows = await connection.fetch(
        "SELECT index, entry FROM ledger_entry"
        " WHERE venue_code = $1 AND index >= $2 AND index < $3 ORDER BY index",
        venue_code,
        start,
        end,
    )
    return [(row["index"], row["entry"]) for row in rows]


async def size(session: AsyncSession, venue_code: str) -> int | None:
    """The number of leaves, or None when the venue's log has never had one. On the driver:
    every proof, entry and tile asks it first, and the ORM's statement cost more than the
    database's answer."""
    connection = await driver(session)
    found: int | None = await connection.fetchval(
        "SELECT size FROM ledger_head WHERE venue_code = $1", venue_code
    )
    return found


async def entry(session: AsyncSession, venue_code: str, index: int) -> LedgerEntry | None:
    return await session.get(LedgerEntry, (venue_code, index))


async def entries(
    session: AsyncSession, venue_code: str, start: int, limit: int
) -> list[LedgerEntry]:
    query = (
        select(LedgerEntry)
        .where(LedgerEntry.venue_code == venue_code, LedgerEntry.index >= start)
        .order_by(LedgerEntry.index)
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def latest_head(session: AsyncSession, venue_code: str) -> TreeHead | None:
    query = (
        select(TreeHead)
        .where(TreeHead.venue_code == venue_code)
        .order_by(TreeHead.tree_size.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def add_head(session: AsyncSession, head: TreeHead) -> TreeHead:
    """Keep a signed head; if another request signed this size first, theirs stands."""
    await session.execute(
        insert(TreeHead)
        .values(
            venue_code=head.venue_code,
            tree_size=head.tree_size,
            root_hash=head.root_hash,
            timestamp=head.timestamp,
            signature=head.signature,
            key_id=head.key_id,
        )
        .on_conflict_do_nothing()
    )
    query = select(TreeHead).where(
        TreeHead.venue_code == head.venue_code, TreeHead.tree_size == head.tree_size
    )
    return (await session.execute(query)).scalar_one()


async def checkpoint(session: AsyncSession, venue_code: str) -> Checkpoint | None:
    query = (
        select(Checkpoint)
        .where(Checkpoint.venue_code == venue_code)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def keep_checkpoint(session: AsyncSession, signed: Checkpoint) -> None:
    """Make `signed` the log's latest checkpoint, unless one as new or of a larger tree is
    already there (two requests re-signing at once: one stands, both are valid)."""
    values = {
        "venue_code": signed.venue_code,
        "tree_size": signed.tree_size,
        "root_hash": signed.root_hash,
        "timestamp": signed.timestamp,
        "note": signed.note,
        "signature": signed.signature,
        "key_id": signed.key_id,
    }
    statement = insert(Checkpoint).values(values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[Checkpoint.venue_code],
            set_={k: statement.excluded[k] for k in values if k != "venue_code"},
            where=(Checkpoint.tree_size < statement.excluded.tree_size)
            | (
                (Checkpoint.tree_size == statement.excluded.tree_size)
                & (Checkpoint.timestamp < statement.excluded.timestamp)
            ),
        )
    )


async def head(session: AsyncSession, venue_code: str, tree_size: int) -> TreeHead | None:
    """The first head the log signed of this size, if it ever signed one."""
    return await session.get(TreeHead, (venue_code, tree_size))


async def keep_cosignature(session: AsyncSession, cosignature: Cosignature) -> bool:
    """Keep a witness's cosignature on a checkpoint, replacing its older one of the same
    size: False (nothing changed) when the stored one is as new or newer. The time is the
    first 8 bytes of `signature`, big-endian, so bytes compare as times do."""
    values = {
        "venue_code": cosignature.venue_code,
        "tree_size": cosignature.tree_size,
        "key_name": cosignature.key_name,
        "key_hash": cosignature.key_hash,
        "origin": cosignature.origin,
        "signature": cosignature.signature,
        "created_at": utcnow(),
    }
    statement = insert(Cosignature).values(values)
    stored = await session.execute(
        statement.on_conflict_do_update(
            index_elements=[
                Cosignature.venue_code,
                Cosignature.tree_size,
                Cosignature.key_name,
                Cosignature.key_hash,
            ],
            set_={
                "origin": statement.excluded.origin,
                "signature": statement.excluded.signature,
                "created_at": statement.excluded.created_at,
            },
            where=func.substring(Cosignature.signature, 1, 8)
            < func.substring(statement.excluded.signature, 1, 8),
        ).returning(Cosignature.tree_size)
    )
    return stored.first() is not None


async def cosignature(
    session: AsyncSession, venue_code: str, tree_size: int, key_name: str, key_hash: bytes
) -> Cosignature | None:
    return await session.get(Cosignature, (venue_code, tree_size, key_name, key_hash))


async def cosignatures(
    session: AsyncSession, venue_code: str, tree_size: int, origin: str
) -> list[Cosignature]:
    query = (
        select(Cosignature)
        .where(
            Cosignature.venue_code == venue_code,
            Cosignature.tree_size == tree_size,
            Cosignature.origin == origin,
        )
        .order_by(Cosignature.key_name, Cosignature.key_hash)
    )
    return list((await session.execute(query)).scalars())


async def logs(session: AsyncSession) -> list[str]:
    """Every log that has had a leaf or a checkpoint."""
    query = select(LedgerHead.venue_code).union(select(Checkpoint.venue_code))
    return sorted((await session.execute(query)).scalars())


async def sizes(session: AsyncSession) -> dict[str, int]:
    """The number of leaves of every log that has had one."""
    rows = await session.execute(select(LedgerHead.venue_code, LedgerHead.size))
    return dict(rows.all())


async def register_key(session: AsyncSession, key_id: str, public_key: bytes) -> None:
    await session.execute(
        insert(SigningKey).values(key_id=key_id, public_key=public_key).on_conflict_do_nothing()
    )


async def public_key(session: AsyncSession, key_id: str) -> bytes | None:
    found = await session.get(SigningKey, key_id)
    return found.public_key if found else None
