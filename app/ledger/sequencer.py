"""Appending to a venue's log, in the caller's transaction.

The venue's head row is locked, the leaf takes the next index (gapless), and the leaf's
hash and the complete subtrees it finishes are stored with it. All of it commits with the
trade that caused it, or not at all: a 201 means the leaf is durable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import rfc8785

from app.db import Driver
from app.ledger import merkle, repository


def utc_text(moment: datetime) -> str:
    """A time in an entry: UTC with microseconds, what PostgreSQL gives back, so an entry
    rebuilt from stored rows is byte-identical."""
    return moment.astimezone(UTC).isoformat()


def canonical(entry: dict[str, Any]) -> bytes:
    """RFC 8785 canonical JSON: the exact bytes that are hashed."""
    return rfc8785.dumps(entry)


@dataclass(frozen=True)
class Leaf:
    kind: str
    ref_id: UUID
    entry: dict[str, Any]


async def append_many(connection: Driver, venue_code: str, leaves: list[Leaf]) -> list[int]:
    """Add `leaves` as the next leaves of the venue's log, in order: their indices.

    `connection` is an asyncpg connection in a transaction (see `app.db.driver`). The head
    row is locked once for all the leaves, and the complete subtrees they finish are
    computed here from the log's frontier, read with the lock: two statements in all.
    """
    assert connection.is_in_transaction(), "a leaf must commit with what it records"
    start, known = await repository.open_head(connection, venue_code)
    entries, new_nodes = [], {}
    for offset, leaf in enumerate(leaves):
        index = start + offset
        data = canonical(leaf.entry)
        below = known[(0, index)] = new_nodes[(0, index)] = merkle.leaf_hash(data)
        # Each complete subtree this leaf finishes: its left half is on the frontier, or
        # was made by an earlier leaf of this batch.
        for level, i in merkle.completed_by(index):
            below = merkle.node_hash(known[(level - 1, 2 * i)], below)
            known[(level, i)] = new_nodes[(level, i)] = below
        entries.append((index, leaf.kind, leaf.ref_id, data, new_nodes[(0, index)]))
    await repository.add_leaves(connection, venue_code, entries, new_nodes, start + len(leaves))
    return [start + offset for offset in range(len(leaves))]


async def append(
    connection: Driver, venue_code: str, kind: str, ref_id: UUID, entry: dict[str, Any]
) -> int:
    """Add `entry` as the next leaf of the venue's log: its index."""
    (index,) = await append_many(connection, venue_code, [Leaf(kind, ref_id, entry)])
    return index
