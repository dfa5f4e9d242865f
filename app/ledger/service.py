"""Reading the ledger: signed checkpoints, entries, inclusion and consistency proofs, tiles.

The public face of the ledger's reads for its router. Taking witness cosignatures, the one
write a client makes here, lives in app/ledger/cosignatures.py; `add_cosignatures` below
only hands it the current checkpoint and serves the result. A checkpoint is signed anew
when read and stale (`checkpoint`): the log's own bookkeeping, not a client's write.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import signed_note as note
from app.core.db import driver, utcnow
from app.core.errors import BadRequest, Conflict, NotFound, ValidationFailed
from app.core.i18n import Text
from app.core.principal import Principal
from app.ledger import cosignatures, kinds, merkle, repository, tiles
from app.ledger.cosignatures import Cosigned
from app.ledger.models import Checkpoint, LedgerEntry, TreeHead
from app.ledger.signing import Signer, tree_head_message
from app.web.replica import read_on_primary

# The witnesses of `SHUSHANG_WITNESS_KEYS`, for the router.
configured_witnesses = cosignatures.configured_witnesses

# The most leaf hashes one `leaf-hashes` request returns.
LEAF_HASHES_MAX = 1000


@dataclass(frozen=True)
class Proof:
    tree_size: int
    root_hash: bytes
    hashes: list[bytes]
    leaf_hash: bytes | None = None


async def _hashes(
    session: AsyncSession, venue: str, ranges: list[tuple[int, int]]
) -> merkle.HashOf:
    found = await repository.nodes(await driver(session), venue, merkle.subtrees_for(ranges))
    return found.__getitem__


async def root_at(session: AsyncSession, venue: str, size: int) -> bytes:
    return merkle.root(size, await _hashes(session, venue, [(0, size)] if size else []))


@dataclass(frozen=True)
class SignedCheckpoint:
    """A log's latest checkpoint as served: the stored row, the public key of its signer,
    and the signed note with any witness cosignatures appended."""

    checkpoint: Checkpoint
    public_key: bytes
    note: str


async def checkpoint(
    session: AsyncSession,
    signer: Signer,
    venue_code: str,
    origin_prefix: str,
    max_age: timedelta,
    witnesses: Sequence[note.Cosigner],
) -> SignedCheckpoint:
    """The log's latest signed checkpoint, signing a new one when the log grew, when the
    stored one is `max_age` old or older (a head that is never re-signed could be replayed
    forever), or when the origin changed; with the cosignatures of the `witnesses`
    configured now."""
    size = await _size(session, venue_code)
    origin = note.origin_of(origin_prefix, venue_code)
    now = utcnow().replace(microsecond=0)  # POSIX seconds, as a cosignature dates
    latest = await repository.checkpoint(session, venue_code)
    if (
        latest is None
        or latest.tree_size != size
        or not latest.note.startswith(origin + "\n")
        or now - latest.timestamp >= max_age
    ):
        if latest is not None and latest.tree_size == size:
            root_hash = latest.root_hash
        else:
            root_hash = await root_at(session, venue_code, size)
        signature = signer.sign(tree_head_message(venue_code, size, root_hash, now))
        await repository.register_key(session, signer.key_id, signer.public_key)
        fields = {
            "venue_code": venue_code,
            "tree_size": size,
            "root_hash": root_hash,
            "timestamp": now,
            "signature": signature,
            "key_id": signer.key_id,
        }
        if latest is None or latest.tree_size != size:
            await repository.add_head(session, TreeHead(**fields))  # the first of this size
        signed = note.sign(
            signer.sign, signer.public_key, origin, size, root_hash, int(now.timestamp())
        )
        await repository.keep_checkpoint(session, Checkpoint(**fields, note=signed))
        latest = await repository.checkpoint(session, venue_code)
        assert latest is not None
    public_key = await repository.public_key(session, latest.key_id)
    assert public_key is not None
    lines = await cosignatures.lines(session, latest, witnesses)
    return SignedCheckpoint(latest, public_key, latest.note + "".join(lines))


async def add_cosignatures(
    session: AsyncSession,
    signer: Signer,
    venue_code: str,
    origin_prefix: str,
    max_age: timedelta,
    witnesses: Sequence[note.Cosigner],
    signed_note: str,
    who: Principal,
) -> tuple[SignedCheckpoint, list[Cosigned]]:
    """Take the witness cosignatures in `signed_note` on the log's latest checkpoint
    (app/ledger/cosignatures.py `take`: all or nothing); the checkpoint as now served, with
    them, and the cosignatures taken."""
    current = await checkpoint(session, signer, venue_code, origin_prefix, max_age, witnesses)
    origin = note.origin_of(origin_prefix, venue_code)
    taken = await cosignatures.take(
        session, current.checkpoint, origin, witnesses, signed_note, who
    )
    lines = await cosignatures.lines(session, current.checkpoint, witnesses)
    served = SignedCheckpoint(
        current.checkpoint, current.public_key, current.checkpoint.note + "".join(lines)
    )
    return served, taken


def verifier_key(signer: Signer, venue_code: str, origin_prefix: str) -> str:
    return note.verifier_key(note.origin_of(origin_prefix, venue_code), signer.public_key)


async def known_log(session: AsyncSession, venue_code: str) -> None:
    """404 unless the log exists (it may still be empty)."""
    await _size(session, venue_code)


async def logs(session: AsyncSession) -> list[tuple[str, int]]:
    """Every log, by name, with its number of leaves: those that have had a leaf or a
    checkpoint (one per venue that has traded) and the logs the domains registered by name
    (`IPR`, `FIN`), even while empty."""
    sizes = await repository.sizes(session)
    names = set(await repository.logs(session)) | set(kinds.named_logs())
    return [(name, sizes.get(name, 0)) for name in sorted(names)]


def _no_such_log(log: str) -> NotFound:
    return NotFound(Text(f"There is no log {log}.", f"没有名为 {log} 的日志。"))


async def _size(session: AsyncSession, venue_code: str) -> int:
    """The log's size; a log still empty is looked up among those the domains registered
    (one per venue, `IPR`, …), for a 404 if there is no such log."""
    size = await repository.size(session, venue_code)
    if size is None:
        if await kinds.kinds_of(session, venue_code) is None:
            raise _no_such_log(venue_code)
        return 0
    return size


async def _size_reaching(session: AsyncSession, venue_code: str, need: int) -> int:
    """The log's size, read where the log has at least `need` entries if anywhere: a
    replica that has not received them yet hands `session` to the primary for the rest of
    the request (app/web/replica.py), so a proof, entry or tile is never refused for lag, and
    never served from a tree the replica does not have."""
    current = await _size(session, venue_code)
    if current < need and await read_on_primary(session):
        current = await _size(session, venue_code)
    return current


def _no_such_tree(size: int, current: int) -> NotFound:
    return NotFound(
        Text(
            f"The log has {current} entries; there is no tree of size {size} yet.",
            f"该日志目前有 {current} 条,还没有大小为 {size} 的树。",
        )
    )


async def entry(session: AsyncSession, venue_code: str, index: int) -> LedgerEntry:
    current = await _size_reaching(session, venue_code, index + 1)
    found = await repository.entry(session, venue_code, index) if index < current else None
    if found is None:
        raise NotFound(
            Text(
                f"The log has {current} entries; none at {index}.",
                f"该日志目前有 {current} 条,没有第 {index} 条。",
            )
        )
    return found


async def may_read(session: AsyncSession, who: Principal | None, found: LedgerEntry) -> bool:
    """Whether `who` may read the entry's contents: the rule of the domain whose row the
    leaf records (`kinds.readable`). Anyone may read its leaf hash."""
    return found.ref_id in await kinds.readable(session, who, found.kind, [found.ref_id])


async def leaf_hashes(
    session: AsyncSession, venue_code: str, start: int, end: int
) -> list[tuple[int, bytes]]:
    """The leaf hashes of [start, end): a range within the log, at most LEAF_HASHES_MAX."""
    current = await _size_reaching(session, venue_code, end)
    problems = []
    if end <= start:
        problems.append(("end", Text("must be above start", "须大于 start")))
    elif end - start > LEAF_HASHES_MAX:
        problems.append(
            (
                "end",
                Text(
                    f"at most {LEAF_HASHES_MAX} hashes per request",
                    f"每次最多 {LEAF_HASHES_MAX} 个哈希",
                ),
            )
        )
    if end > current:
        problems.append(
            (
                "end",
                Text(f"the log has {current} entries", f"该日志目前有 {current} 条"),
            )
        )
    if problems:
        where, message = problems[0]
        raise ValidationFailed(
            Text(f"{where}: {message.en}", f"{where}:{message.zh}"),
            errors=[{"loc": ["query", w], "msg": m} for w, m in problems],
        )
    return await repository.level_hashes(await driver(session), venue_code, 0, start, end)


def parsed(entry: LedgerEntry) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(entry.entry)
    return value


async def inclusion(session: AsyncSession, venue_code: str, index: int, tree_size: int) -> Proof:
    current = await _size_reaching(session, venue_code, tree_size)
    if tree_size > current:
        raise _no_such_tree(tree_size, current)
    if not 0 <= index < tree_size:
        raise BadRequest(Text("index must be below tree_size.", "index 必须小于 tree_size。"))
    ranges = merkle.inclusion_ranges(index, tree_size)
    # The leaf's own hash is the subtree (0, index): one read brings everything.
    hash_of = await _hashes(session, venue_code, [*ranges, (0, tree_size), (index, index + 1)])
    return Proof(
        tree_size=tree_size,
        root_hash=merkle.root(tree_size, hash_of),
        hashes=[merkle.range_hash(s, e, hash_of) for s, e in ranges],
        leaf_hash=hash_of((0, index)),
    )


async def consistency(session: AsyncSession, venue_code: str, first: int, second: int) -> Proof:
    current = await _size_reaching(session, venue_code, second)
    if second > current:
        raise _no_such_tree(second, current)
    if not 0 < first <= second:
        raise BadRequest(Text("need 0 < first <= second.", "须满足 0 < first <= second。"))
    ranges = merkle.consistency_ranges(first, second)
    hash_of = await _hashes(session, venue_code, [*ranges, (0, second)])
    return Proof(
        tree_size=second,
        root_hash=merkle.root(second, hash_of),
        hashes=[merkle.range_hash(s, e, hash_of) for s, e in ranges],
    )


def _tile(level: str, path: str) -> tiles.Tile:
    try:
        return tiles.parse(tiles.parse_level(level), path)
    except tiles.BadTilePath as exc:
        raise ValidationFailed.field(
            ["path", "tile"], Text(str(exc), "瓦片路径不符合 C2SP tlog-tiles 的编码")
        ) from exc


async def _available(session: AsyncSession, venue_code: str, tile: tiles.Tile) -> None:
    current = await _size_reaching(session, venue_code, tile.needs())
    if tile.needs() > current:
        raise NotFound(
            Text(
                f"The log has {current} entries; {tiles.path_of(tile)} needs {tile.needs()}.",
                f"该日志目前有 {current} 条;{tiles.path_of(tile)} 需要 {tile.needs()} 条。",
            )
        )


async def tile(session: AsyncSession, venue_code: str, level: str, path: str) -> tiles.Tile:
    """The tile at `tile/<level>/<path>` if the log has all its hashes: 404 if not yet, 422
    if the path is not the spec's."""
    found = _tile(level, path)
    await _available(session, venue_code, found)
    return found


async def tile_hashes(session: AsyncSession, venue_code: str, found: tiles.Tile) -> bytes:
    level = tiles.HEIGHT * found.level
    rows = await repository.level_hashes(
        await driver(session), venue_code, level, found.first, found.first + found.width
    )
    assert len(rows) == found.width, "a complete subtree below the log's size is stored"
    return b"".join(h for _, h in rows)


async def entry_bundle(session: AsyncSession, venue_code: str, path: str) -> tiles.Tile:
    """The entry bundle at `tile/entries/<path>`, as `tile` (the level is 0)."""
    return await tile(session, venue_code, "0", path)


async def bundle_bytes(session: AsyncSession, venue_code: str, found: tiles.Tile) -> bytes:
    rows = await repository.entry_bytes(
        await driver(session), venue_code, found.first, found.first + found.width
    )
    for index, entry in rows:
        if len(entry) >= 1 << 16:
            raise Conflict(
                Text(
                    f"Entry {index} is {len(entry)} bytes, more than a bundle holds (65535): "
                    f"read it at /entries/{index}.",
                    f"第 {index} 条有 {len(entry)} 字节,超过条目包的上限 65535:"
                    f"请在 /entries/{index} 读取。",
                )
            )
    return tiles.bundle([entry for _, entry in rows])
