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

from app.core.db import Driver
from app.ledger import merkle, repository
from app.ledger.merkle import Node


def utc_text(moment: datetime) -> str:
    """A time in an entry: UTC with microseconds, what PostgreSQL gives back, so an entry
    rebuilt from stored rows is byte-identical."""
    return moment.astimezone(UTC).isoformat()


def canonical(entry: dict[str, Any]) -> bytes:
    """RFC 8785 canonical JSON: the exact bytes that are hashed."""
    return rfc8785.dumps(entry)


@dataclass(frozen=True, slots=True)
class Leaf:
    """An entry ready to append. Its canonical bytes and leaf hash do not depend on where it
    goes, so they are made before the head is locked (the lock is held for less)."""

    kind: str
    ref_id: UUID
    data: bytes
    hash: bytes

    @classmethod
    def of(cls, kind: str, ref_id: UUID, entry: dict[str, Any]) -> Leaf:
        data = canonical(entry)
        return cls(kind, ref_id, data, merkle.leaf_hash(data))


@dataclass(frozen=True, slots=True)
class Frontier:
    """A log's right edge after an append made here: its size and the complete subtrees
    still waiting for a right sibling."""

    size: int
    nodes: dict[Node, bytes]


class Frontiers:
    """The frontiers of the logs a writer appended to, kept once its appends committed. The
    next append finds the log at that size exactly when no one else has appended since
    (every append grows the size, and it never shrinks), and then need not read it."""

    def __init__(self) -> None:
        self._kept: dict[str, Frontier] = {}

    def get(self, log: str, size: int) -> dict[Node, bytes] | None:
        kept = self._kept.get(log)
        return dict(kept.nodes) if kept is not None and kept.size == size else None

    def keep(self, log: str, frontier: Frontier) -> None:
        self._kept[log] = frontier


async def append_many(
    connection: Driver, venue_code: str, leaves: list[Leaf], known: Frontiers | None = None
) -> tuple[list[int], Frontier]:
    """Add `leaves` as the next leaves of the venue's log, in order: their indices, and the
    log's frontier after them (for `known.keep` once the transaction has committed).

    `connection` is an asyncpg connection in a transaction (see `app.core.db.driver`). The head
    row is locked once for all the leaves, and the complete subtrees they finish are
    computed here from the log's frontier, read with the lock unless `known` has it.
    """
    assert connection.is_in_transaction(), "a leaf must commit with what it records"
    start = await repository.lock_head(connection, venue_code)
    nodes = known.get(venue_code, start) if known is not None else None
    if nodes is None:
        nodes = await repository.frontier(connection, venue_code, start)
    entries, new_nodes = [], {}
    for offset, leaf in enumerate(leaves):
        index = start + offset
        below = nodes[(0, index)] = new_nodes[(0, index)] = leaf.hash
        # Each complete subtree this leaf finishes: its left half is on the frontier, or
        # was made by an earlier leaf of this batch.
        for level, i in merkle.completed_by(index):
            below = merkle.node_hash(nodes[(level - 1, 2 * i)], below)
            nodes[(level, i)] = new_nodes[(level, i)] = below
        entries.append((index, leaf.kind, leaf.ref_id, leaf.data, leaf.hash))
    size = start + len(leaves)
    await repository.add_leaves(connection, venue_code, entries, new_nodes, size)
    edge = {(level, (size >> level) - 1) for level in range(size.bit_length()) if size >> level & 1}
    return list(range(start, size)), Frontier(size, {node: nodes[node] for node in edge})


async def append(
    connection: Driver, venue_code: str, kind: str, ref_id: UUID, entry: dict[str, Any]
) -> int:
    """Add `entry` as the next leaf of the venue's log: its index."""
    (index,), _ = await append_many(connection, venue_code, [Leaf.of(kind, ref_id, entry)])
    return index
