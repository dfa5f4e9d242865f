"""The logs and the kinds of leaf they hold, as the domains register them.

The ledger knows no domain. Each domain that appends to a log tells the ledger, once at
start-up (`app/wiring.py`), three things per kind of leaf it appends:

- `rebuild`: the entries of the given leaves (by the `ref_id` stored with each leaf), made
  again from the domain's stored rows, for `shushang ledger verify`;
- `readable`: which of those leaves the caller may read the contents of (the domain's
  own visibility rule: a leaf's contents are its row's);

and which logs hold which kinds: a named log (`IPR`) or a family of logs whose names the
domain looks up (one log per venue). Verification, the entry route and the CLI read this
registry, so a new log is a `register_log` and a `register_kind` away.

    kinds.register_kind(LeafKind("asset_movement", rebuild=..., readable=...))
    kinds.register_log("FIN", ("asset_movement",))
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.principal import Principal

Rebuild = Callable[[AsyncSession, Sequence[UUID]], Awaitable[dict[UUID, dict[str, Any]]]]
Readable = Callable[[AsyncSession, Principal | None, Sequence[UUID]], Awaitable[set[UUID]]]
Exists = Callable[[AsyncSession, str], Awaitable[bool]]


@dataclass(frozen=True)
class LeafKind:
    """One kind of leaf (`LedgerEntry.kind`): how to rebuild its entries, who reads them."""

    name: str
    rebuild: Rebuild
    readable: Readable


@dataclass(frozen=True)
class _Family:
    """Logs whose names a domain knows (its `exists`), each holding `kinds`."""

    exists: Exists
    kinds: tuple[str, ...]


_kinds: dict[str, LeafKind] = {}
_logs: dict[str, tuple[str, ...]] = {}
_families: list[_Family] = []


def register_kind(kind: LeafKind) -> None:
    """Add (or replace: registering twice is harmless) a kind of leaf."""
    _kinds[kind.name] = kind


def register_log(name: str, kinds: Sequence[str]) -> None:
    """A log of its own name (e.g. `IPR`), holding leaves of `kinds`."""
    _logs[name] = tuple(kinds)


def register_logs(exists: Exists, kinds: Sequence[str]) -> None:
    """A family of logs, one per name that `exists` knows (e.g. a venue's code)."""
    family = _Family(exists, tuple(kinds))
    if family not in _families:
        _families.append(family)


def kind(name: str) -> LeafKind | None:
    return _kinds.get(name)


def kind_names() -> list[str]:
    """Every kind of leaf registered: what an auditor's tool must know how to verify
    (`shushang_sdk.leaves.KINDS`; tests/ledger/test_kinds_known_to_sdk.py keeps them equal)."""
    return sorted(_kinds)


def named_logs() -> list[str]:
    return sorted(_logs)


async def kinds_of(session: AsyncSession, log: str) -> tuple[str, ...] | None:
    """The kinds of leaf the log holds; None when there is no such log."""
    named = _logs.get(log)
    if named is not None:
        return named
    found: tuple[str, ...] = ()
    for family in _families:
        # Several domains may append to the same family of logs (a venue's log holds its
        # trades and its negotiations): the log holds the kinds of every family that knows it.
        if await family.exists(session, log):
            found += tuple(k for k in family.kinds if k not in found)
    return found or None


async def readable(
    session: AsyncSession, who: Principal | None, leaf_kind: str, ref_ids: Sequence[UUID]
) -> set[UUID]:
    """Which of these leaves (all of `leaf_kind`) `who` may read the contents of. A kind no
    domain registered has no reader: its contents stay hidden."""
    registered = _kinds.get(leaf_kind)
    if registered is None or not ref_ids:
        return set()
    return await registered.readable(session, who, ref_ids)
