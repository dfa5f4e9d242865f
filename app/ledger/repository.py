"""Queries on the ledger: the head row, entries, subtree hashes, signed heads, keys."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.ledger.merkle import Node
from app.ledger.models import LedgerEntry, LedgerHead, LedgerNode, SigningKey, TreeHead


async def lock_head(session: AsyncSession, venue_code: str) -> LedgerHead:
    """The venue's head row, locked until the transaction ends: appends queue here."""
    await session.execute(
        insert(LedgerHead).values(venue_code=venue_code, size=0).on_conflict_do_nothing()
    )
    query = select(LedgerHead).where(LedgerHead.venue_code == venue_code).with_for_update()
    return (await session.execute(query)).scalar_one()


async def size(session: AsyncSession, venue_code: str) -> int | None:
    """The number of leaves, or None when the venue's log has never had one."""
    query = select(LedgerHead.size).where(LedgerHead.venue_code == venue_code)
    found: int | None = (await session.execute(query)).scalar_one_or_none()
    return found


async def nodes(
    session: AsyncSession, venue_code: str, wanted: Sequence[Node]
) -> dict[Node, bytes]:
    if not wanted:
        return {}
    query = select(LedgerNode.level, LedgerNode.index, LedgerNode.hash).where(
        LedgerNode.venue_code == venue_code,
        tuple_(LedgerNode.level, LedgerNode.index).in_(list(wanted)),
    )
    return {(level, index): h for level, index, h in (await session.execute(query)).all()}


async def add_leaves(
    session: AsyncSession, entries: list[LedgerEntry], new_nodes: dict[Node, bytes]
) -> None:
    session.add_all(entries)
    venue_code = entries[0].venue_code
    session.add_all(
        LedgerNode(venue_code=venue_code, level=level, index=index, hash=h)
        for (level, index), h in new_nodes.items()
    )
    await session.flush()


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


async def register_key(session: AsyncSession, key_id: str, public_key: bytes) -> None:
    await session.execute(
        insert(SigningKey).values(key_id=key_id, public_key=public_key).on_conflict_do_nothing()
    )


async def public_key(session: AsyncSession, key_id: str) -> bytes | None:
    found = await session.get(SigningKey, key_id)
    return found.public_key if found else None
