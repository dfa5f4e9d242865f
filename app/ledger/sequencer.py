"""Appending to a venue's log, in the caller's transaction.

The venue's head row is locked, the leaf takes the next index (gapless), and the leaf's
hash and the complete subtrees it finishes are stored with it. All of it commits with the
trade that caused it, or not at all: a 201 means the leaf is durable.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import rfc8785
from sqlalchemy.ext.asyncio import AsyncSession

from app.ledger import merkle, repository
from app.ledger.models import LedgerEntry


def canonical(entry: dict[str, Any]) -> bytes:
    """RFC 8785 canonical JSON: the exact bytes that are hashed."""
    return rfc8785.dumps(entry)


async def append(
    session: AsyncSession, venue_code: str, kind: str, ref_id: UUID, entry: dict[str, Any]
) -> tuple[int, bytes]:
    """Add `entry` as the next leaf of the venue's log: its index and leaf hash."""
    head = await repository.lock_head(session, venue_code)
    index = head.size
    data = canonical(entry)
    leaf = merkle.leaf_hash(data)
    completed = merkle.completed_by(index)
    # Each finished subtree's left half is stored already; its right half is the one below.
    lefts = await repository.nodes(
        session, venue_code, [(level - 1, 2 * i) for level, i in completed]
    )
    new_nodes = {(0, index): leaf}
    below = leaf
    for level, i in completed:
        below = merkle.node_hash(lefts[(level - 1, 2 * i)], below)
        new_nodes[(level, i)] = below
    await repository.add_leaf(
        session,
        LedgerEntry(
            venue_code=venue_code, index=index, kind=kind, ref_id=ref_id, entry=data, leaf_hash=leaf
        ),
        new_nodes,
    )
    head.size = index + 1
    await session.flush()
    return index, leaf
