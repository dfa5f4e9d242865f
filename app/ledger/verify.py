"""`shushang ledger verify LOG`: recompute every leaf from the stored rows (trades and their
events for a venue's log, registration steps for `IPR`), rebuild the tree, and check the
latest signed head against it.

A row changed behind the ledger's back (triggers disabled, a restore gone wrong) shows as
the first index whose rebuilt entry no longer matches what was hashed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.ip.entries import step_entry
from app.ip.models import IpStep
from app.ledger import merkle, repository
from app.ledger.models import LedgerEntry
from app.ledger.sequencer import canonical
from app.ledger.signing import tree_head_message, verify
from app.trades.entries import event_entry, trade_entry
from app.trades.models import Trade, TradeEvent

_BATCH = 5000


@dataclass
class Verification:
    venue_code: str
    size: int = 0
    checked: int = 0
    head_size: int | None = None
    problems: list[tuple[int | None, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# What each kind of leaf is rebuilt from: its table and the function that made its entry.
_SOURCES: dict[str, tuple[Any, Callable[[Any], dict[str, Any]]]] = {
    "trade": (Trade, trade_entry),
    "trade_event": (TradeEvent, event_entry),
    "ip_step": (IpStep, step_entry),
}


async def _rebuilt(session: AsyncSession, batch: list[LedgerEntry]) -> dict[UUID, bytes]:
    """The entries rebuilt from the stored rows that the batch's leaves name."""
    rebuilt: dict[UUID, bytes] = {}
    for kind, (model, entry_of) in _SOURCES.items():
        ids = [e.ref_id for e in batch if e.kind == kind]
        if ids:
            rows = await session.execute(select(model).where(model.id.in_(ids)))
            rebuilt.update((row.id, canonical(entry_of(row))) for row in rows.scalars())
    return rebuilt


async def verify_venue(session: AsyncSession, venue_code: str) -> Verification:
    result = Verification(venue_code, size=await repository.size(session, venue_code) or 0)
    nodes: dict[merkle.Node, bytes] = {}
    index = 0
    while index < result.size:
        batch = await repository.entries(session, venue_code, index, _BATCH)
        if not batch:
            result.problems.append((index, "entries missing from here on"))
            break
        rows = await _rebuilt(session, batch)
        for entry in batch:
            if entry.index != index:
                result.problems.append((index, "a gap in the log"))
                return result
            rebuilt = rows.get(entry.ref_id)
            if rebuilt is None:
                result.problems.append((index, f"the {entry.kind} {entry.ref_id} is gone"))
                rebuilt = entry.entry
            elif rebuilt != entry.entry:
                result.problems.append(
                    (index, f"the stored {entry.kind} no longer matches its entry")
                )
            if merkle.leaf_hash(entry.entry) != entry.leaf_hash:
                result.problems.append((index, "the leaf hash does not match the entry"))
            nodes[(0, index)] = merkle.leaf_hash(rebuilt)
            for level, i in merkle.completed_by(index):
                nodes[(level, i)] = merkle.node_hash(
                    nodes[(level - 1, 2 * i)], nodes[(level - 1, 2 * i + 1)]
                )
            index += 1
            result.checked += 1
    head = await repository.latest_head(session, venue_code)
    if head is not None:
        result.head_size = head.tree_size
        if head.tree_size > result.checked:
            result.problems.append((None, f"the signed head covers {head.tree_size} entries"))
        elif merkle.root(head.tree_size, nodes.__getitem__) != head.root_hash:
            result.problems.append(
                (None, f"the root of the first {head.tree_size} entries is not the signed root")
            )
        public_key = await repository.public_key(session, head.key_id)
        message = tree_head_message(venue_code, head.tree_size, head.root_hash, head.timestamp)
        if public_key is None or not verify(public_key, head.signature, message):
            result.problems.append(
                (None, f"the signature of the head of size {head.tree_size} is not valid")
            )
    result.problems.sort(key=lambda p: (p[0] is None, p[0] or 0))
    return result
