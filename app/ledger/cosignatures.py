"""Witness cosignatures on the ledger's checkpoints (C2SP tlog-cosignature): taking them
from a witness (`take`, the one write a client makes on the ledger) and serving the kept
ones of the witnesses configured now (`lines`). The checkpoint they sign is read and signed
by app/ledger/service.py, the ledger's public face, which calls both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.core import signed_note as note
from app.core.db import utcnow
from app.core.errors import Conflict, ValidationFailed
from app.core.i18n import Text
from app.core.principal import Principal
from app.ledger import repository
from app.ledger.models import Checkpoint, Cosignature


async def lines(
    session: AsyncSession, signed: Checkpoint, witnesses: Sequence[note.Cosigner]
) -> list[str]:
    """Witness cosignatures on this checkpoint (its size, under its origin), as note
    signature lines to append after the log's own: only those of the `witnesses` configured
    now (`SHUSHANG_WITNESS_KEYS`). A witness taken off the list (its key lost, or no longer
    trusted) vouches for nothing any more, so its kept cosignatures are not served."""
    origin = signed.note.split("\n", 1)[0]
    found = await repository.cosignatures(session, signed.venue_code, signed.tree_size, origin)
    trusted = {(w.name, w.key_hash) for w in witnesses}
    return [
        note.signature_line(c.key_name, c.key_hash, c.signature)
        for c in found
        if (c.key_name, c.key_hash) in trusted
    ]


def configured_witnesses(keys: Sequence[str]) -> list[note.Cosigner]:
    """The witnesses of `SHUSHANG_WITNESS_KEYS` (validated when the settings were read)."""
    return [note.parse_cosigner(key) for key in keys]


# How far ahead of our clock a witness's may run.
CLOCK_SKEW = timedelta(seconds=60)


@dataclass(frozen=True)
class Cosigned:
    """A witness cosignature taken: whose, and when the witness made it."""

    witness: str
    key_hash: bytes
    timestamp: datetime


def _cosignature_problem(en: str, zh: str) -> ValidationFailed:
    return ValidationFailed.field(["body", "checkpoint"], Text(en, zh))


async def take(
    session: AsyncSession,
    current: Checkpoint,
    origin: str,
    witnesses: Sequence[note.Cosigner],
    signed_note: str,
    who: Principal,
) -> list[Cosigned]:
    """Take the witness cosignatures on the log's checkpoint in `signed_note` (the
    checkpoint with the witnesses' lines appended, C2SP tlog-cosignature), after checking
    each against the configured `witnesses`: the note must be this log's `current`
    checkpoint (a size and root it signed under `origin`: never one it did not, nor an
    older one), and every line other than the log's own a valid, dated cosignature of a
    known witness. All or nothing. Returns the cosignatures taken."""
    venue_code = current.venue_code
    try:
        parsed = note.parse(signed_note)
    except note.BadNote as exc:
        raise _cosignature_problem(f"{exc}", "不是签名笔记格式的检查点") from exc
    if parsed.origin != origin:
        raise _cosignature_problem(
            f"the checkpoint is of {parsed.origin}, not of this log ({origin})",
            f"该检查点属于 {parsed.origin},不是本日志({origin})的",
        )
    signed = await repository.head(session, venue_code, parsed.tree_size)
    if signed is None or signed.root_hash != parsed.root_hash:
        raise Conflict(
            Text(
                f"The log never signed a checkpoint of size {parsed.tree_size} with that "
                "root: a witness that cosigned it saw another log, or a fork.",
                f"本日志从未签署大小为 {parsed.tree_size}、根哈希如此的检查点:"
                "见证者所见的是另一份日志或分叉。",
            )
        )
    latest = current.tree_size
    if parsed.tree_size != latest:
        raise Conflict(
            Text(
                f"Stale: the log has since signed its checkpoint of size {latest}; cosign "
                "that one.",
                f"已过时:本日志此后已签署大小为 {latest} 的检查点,请对其副署。",
            ),
            tree_size=latest,
        )
    by_hash = {(w.name, w.key_hash): w for w in witnesses}
    now = utcnow()
    taken: list[tuple[note.Cosigner, bytes, datetime]] = []
    for name, raw in parsed.signatures:
        if name == origin:
            continue  # the log's own signatures: the size and root are already known ours
        witness = by_hash.get((name, raw[:4]))
        if witness is None:
            raise _cosignature_problem(
                f"{name} (key hash {raw[:4].hex()}) is not a witness this log accepts "
                "(SHUSHANG_WITNESS_KEYS)",
                f"{name}(密钥哈希 {raw[:4].hex()})不是本日志接受的见证者",
            )
        try:
            when = datetime.fromtimestamp(
                note.cosignature_time(witness, parsed.text, raw), tz=now.tzinfo
            )
        except (note.BadNote, OverflowError, ValueError, OSError) as exc:
            raise _cosignature_problem(
                f"{exc}" if isinstance(exc, note.BadNote) else f"{name}: no valid time",
                f"{name} 的副署签名无效",
            ) from exc
        if when > now + CLOCK_SKEW:
            raise _cosignature_problem(
                f"the cosignature of {name} is dated {when.isoformat()}, in the future",
                f"{name} 的副署时间 {when.isoformat()} 晚于当前时间",
            )
        if when < signed.timestamp.replace(microsecond=0) - CLOCK_SKEW:
            raise _cosignature_problem(
                f"the cosignature of {name} is dated {when.isoformat()}, before the log "
                f"signed this checkpoint ({signed.timestamp.isoformat()})",
                f"{name} 的副署时间 {when.isoformat()} 早于本日志签署该检查点的时间",
            )
        taken.append((witness, raw, when))
    if not taken:
        raise _cosignature_problem(
            "the checkpoint carries no witness cosignature",
            "该检查点没有见证者的副署签名",
        )
    for witness, raw, when in taken:
        row = Cosignature(
            venue_code=venue_code,
            tree_size=parsed.tree_size,
            key_name=witness.name,
            key_hash=raw[:4],
            origin=origin,
            signature=raw[4:],
        )
        if not await repository.keep_cosignature(session, row):
            stored = await repository.cosignature(
                session, venue_code, parsed.tree_size, witness.name, raw[:4]
            )
            if stored is not None and stored.signature != raw[4:]:
                newer = int.from_bytes(stored.signature[:8], "big")
                raise Conflict(
                    Text(
                        f"Stale: {witness.name} already cosigned this checkpoint at "
                        f"{newer}, later than {int(when.timestamp())}.",
                        f"已过时:{witness.name} 已于 {newer} 副署该检查点,"
                        f"晚于 {int(when.timestamp())}。",
                    )
                )
    await audit.record(
        session,
        who,
        "ledger.cosign",
        "ledger_checkpoint",
        f"{venue_code}/{parsed.tree_size}",
        {"witnesses": [w.name for w, _, _ in taken], "tree_size": parsed.tree_size},
    )
    return [Cosigned(w.name, raw[:4], when) for w, raw, when in taken]
