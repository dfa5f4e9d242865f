"""`shushang ledger verify LOG`: recompute every leaf from the stored rows (trades and their
events for a venue's log, registration steps for `IPR`: whatever the domains registered in
`app.ledger.kinds`), rebuild the tree, and check the latest signed head against it.

A row changed behind the ledger's back (triggers disabled, a restore gone wrong) shows as
the first index whose rebuilt entry no longer matches what was hashed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import signed_note as note
from app.ledger import kinds, merkle, repository
from app.ledger.models import LedgerEntry
from app.ledger.sequencer import canonical
from app.ledger.signing import tree_head_message, verify

_BATCH = 5000


@dataclass
class Verification:
    venue_code: str
    size: int = 0
    checked: int = 0
    head_size: int | None = None
    exists: bool = True
    problems: list[tuple[int | None, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Verified: the log exists, has entries, and every check passed. An empty or
        unknown log proves nothing, so it is never "verified"."""
        return self.exists and self.checked > 0 and not self.problems


async def _rebuilt(
    session: AsyncSession, batch: list[LedgerEntry], allowed: tuple[str, ...]
) -> dict[UUID, bytes]:
    """The entries rebuilt from the stored rows that the batch's leaves name, by the kinds
    the log may hold (a leaf of another kind is not rebuilt: it shows as a problem)."""
    rebuilt: dict[UUID, bytes] = {}
    for name in allowed:
        kind = kinds.kind(name)
        ids = [e.ref_id for e in batch if e.kind == name]
        if kind is not None and ids:
            found = await kind.rebuild(session, ids)
            rebuilt.update((ref_id, canonical(entry)) for ref_id, entry in found.items())
    return rebuilt


async def _public_key(
    session: AsyncSession, key_id: str, trusted: Mapping[str, bytes] | None
) -> bytes | None:
    """The public key of `key_id`: from `trusted` when given (a restore trusts no key the
    dump brought), else the one the database keeps."""
    if trusted is not None:
        return trusted.get(key_id)
    return await repository.public_key(session, key_id)


async def verify_venue(
    session: AsyncSession, venue_code: str, trusted: Mapping[str, bytes] | None = None
) -> Verification:
    """Verify one log; `trusted` (key id → public key), when given, is the only source of
    the keys its head and checkpoint may be signed with."""
    result = Verification(venue_code, size=await repository.size(session, venue_code) or 0)
    allowed = await kinds.kinds_of(session, venue_code)
    if allowed is None:
        result.exists = False
        result.problems.append((None, f"there is no log {venue_code}"))
        return result
    nodes: dict[merkle.Node, bytes] = {}
    index = 0
    while index < result.size:
        batch = await repository.entries(session, venue_code, index, _BATCH)
        if not batch:
            result.problems.append((index, "entries missing from here on"))
            break
        rows = await _rebuilt(session, batch, allowed)
        for entry in batch:
            if entry.index != index:
                result.problems.append((index, "a gap in the log"))
                return result
            rebuilt = rows.get(entry.ref_id)
            if entry.kind not in allowed:
                result.problems.append((index, f"a {entry.kind} leaf has no place in this log"))
                rebuilt = entry.entry
            elif rebuilt is None:
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
        public_key = await _public_key(session, head.key_id, trusted)
        message = tree_head_message(venue_code, head.tree_size, head.root_hash, head.timestamp)
        if public_key is None or not verify(public_key, head.signature, message):
            result.problems.append(
                (None, f"the signature of the head of size {head.tree_size} is not valid")
            )
    await _check_checkpoint(session, venue_code, nodes, result, trusted)
    result.problems.sort(key=lambda p: (p[0] is None, p[0] or 0))
    return result


async def _check_checkpoint(
    session: AsyncSession,
    venue_code: str,
    nodes: dict[merkle.Node, bytes],
    result: Verification,
    trusted: Mapping[str, bytes] | None,
) -> None:
    """The latest checkpoint is signed by its key, for this log, over the rebuilt root."""
    signed = await repository.checkpoint(session, venue_code)
    if signed is None:
        return
    public_key = await _public_key(session, signed.key_id, trusted)
    try:
        if public_key is None:
            unknown = "not a trusted key" if trusted is not None else "unknown"
            raise note.BadNote(f"its key {signed.key_id} is {unknown}")
        origin, size, root_hash, _ = note.open_checkpoint(signed.note, public_key)
    except note.BadNote as exc:
        result.problems.append((None, f"the checkpoint of size {signed.tree_size}: {exc}"))
        return
    if not origin.endswith("/" + venue_code) or size != signed.tree_size:
        result.problems.append((None, f"the checkpoint is of {origin}, size {size}"))
    elif size > result.checked:
        result.problems.append((None, f"the checkpoint covers {size} entries"))
    elif merkle.root(size, nodes.__getitem__) != root_hash:
        result.problems.append(
            (None, f"the root of the first {size} entries is not the checkpoint's root")
        )


async def verify_logs(
    session: AsyncSession, trusted: Mapping[str, bytes] | None = None
) -> list[Verification]:
    """Every log that has had a leaf or a checkpoint, each verified as `verify_venue` does."""
    return [await verify_venue(session, log, trusted) for log in await repository.logs(session)]
