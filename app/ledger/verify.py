"""`shushang ledger verify VENUE`: recompute every leaf from the stored trades and events,
rebuild the tree, and check the latest signed head against it.

A row changed behind the ledger's back (triggers disabled, a restore gone wrong) shows as
the first index whose rebuilt entry no longer matches what was hashed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.ledger import merkle, repository
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


async def _rows(
    session: AsyncSession, kind: str, ids: list[UUID]
) -> dict[UUID, Trade | TradeEvent]:
    rows: dict[UUID, Trade | TradeEvent] = {}
    if kind == "trade":
        trades = await session.execute(select(Trade).where(Trade.id.in_(ids)))
        rows.update((t.id, t) for t in trades.scalars())
    else:
        events = await session.execute(select(TradeEvent).where(TradeEvent.id.in_(ids)))
        rows.update((e.id, e) for e in events.scalars())
    return rows


async def verify_venue(session: AsyncSession, venue_code: str) -> Verification:
    result = Verification(venue_code, size=await repository.size(session, venue_code) or 0)
    nodes: dict[merkle.Node, bytes] = {}
    index = 0
    while index < result.size:
        batch = await repository.entries(session, venue_code, index, _BATCH)
        if not batch:
            result.problems.append((index, "entries missing from here on"))
            break
        rows: dict[UUID, Trade | TradeEvent] = {}
        for kind in ("trade", "trade_event"):
            rows |= await _rows(session, kind, [e.ref_id for e in batch if e.kind == kind])
        for entry in batch:
            if entry.index != index:
                result.problems.append((index, "a gap in the log"))
                return result
            row = rows.get(entry.ref_id)
            if row is None:
                result.problems.append((index, f"the {entry.kind} {entry.ref_id} is gone"))
                rebuilt = entry.entry
            else:
                rebuilt = canonical(
                    trade_entry(row) if isinstance(row, Trade) else event_entry(row)
                )
                if rebuilt != entry.entry:
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
