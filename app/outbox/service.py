"""Emitting outbox events: the rows and what fans out of them, in the caller's transaction.

One statement inserts the events and runs every registered fan-out on them: the webhooks'
(app/webhooks/fanout.py, registered by app/wiring.py) queues a pending delivery for every
subscription that wants each event. So an event, and its deliveries, exist exactly when the
change that caused it committed, and nothing is sent for a change that rolled back; and the
outbox writes only its own table, knowing no domain.

An outbox with nothing fanning out is a wiring forgotten (webhooks would silently miss
events), so `emit_on` refuses to run before `app.wiring.register()`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.context import current_request_id
from app.core.db import Driver, driver, new_id, utcnow
from app.outbox.types import ALL


@dataclass(frozen=True)
class NewEvent:
    type: str
    subject_type: str
    subject_id: object
    merchant_ids: list[UUID | None]
    data: dict[str, Any]
    request_id: str | None = None
    id: UUID = field(default_factory=new_id)
    created_at: datetime = field(default_factory=utcnow)


_INSERT = """
INSERT INTO outbox_event (id, type, subject_type, subject_id, merchant_ids, data,
                          request_id, created_at)
SELECT n.id, n.type, n.subject_type, n.subject_id, n.merchant_ids::uuid[], n.data::jsonb,
       n.request_id, n.created_at
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
            $7::text[], $8::timestamptz[])
     AS n (id, type, subject_type, subject_id, merchant_ids, data, request_id, created_at)
"""

# What a fan-out reads: the events the statement inserted.
INSERTED = "e"
INSERTED_COLUMNS = ("id", "type", "merchant_ids", "created_at")

_fan_outs: dict[str, str] = {}
_statement: str | None = None


def register_fan_out(name: str, statement: str) -> None:
    """Run `statement` in the same statement as every emit (app/wiring.py registers the
    webhooks' queueing): a data-modifying SQL statement that reads the inserted events as
    `e` (`INSERTED_COLUMNS`). Idempotent; a second, different statement under the same name
    is refused."""
    global _statement
    if _fan_outs.setdefault(name, statement) != statement:
        raise ValueError(f"a fan-out {name!r} is registered already")
    _statement = _compose(list(_fan_outs.values()))


def fan_outs() -> dict[str, str]:
    """A copy of the registry: each fan-out by name, in order (for tests)."""
    return dict(_fan_outs)


def _compose(statements: list[str]) -> str:
    """One statement: the insert as the CTE `e`, every fan-out but the last as a CTE of its
    own (PostgreSQL runs a data-modifying CTE to completion whether read or not), the last
    as the main statement. With one fan-out, exactly the statement the webhooks had when
    the outbox wrote them itself (bench/trades.py measured that shape)."""
    columns = ", ".join(INSERTED_COLUMNS)
    parts = [f"{INSERTED} AS ({_INSERT.strip()}\n    RETURNING {columns}\n)"]
    parts += [f"fan_out_{i} AS ({s.strip()})" for i, s in enumerate(statements[:-1])]
    return "WITH " + ",\n".join(parts) + "\n" + statements[-1].strip()


def _uuid_array(ids: list[UUID | None]) -> str:
    """A PostgreSQL array literal of the ids, sorted and without repeats (a list of lists
    cannot pass through unnest, which flattens it)."""
    return "{" + ",".join(sorted({str(i) for i in ids if i is not None})) + "}"


async def emit_on(connection: Driver, events: list[NewEvent]) -> None:
    """Store events on an asyncpg connection in a transaction (the trade committer's): one
    statement, however many events."""
    assert connection.is_in_transaction(), "an event must commit with its change"
    for event in events:
        assert event.type in ALL, event.type
    if _statement is None:
        raise LookupError("no fan-out registered for the outbox: call app.wiring.register()")
    request_id = current_request_id()
    await connection.execute(
        _statement,
        [e.id for e in events],
        [e.type for e in events],
        [e.subject_type for e in events],
        [str(e.subject_id) for e in events],
        [_uuid_array(e.merchant_ids) for e in events],
        [json.dumps(e.data, ensure_ascii=False, default=str) for e in events],
        [e.request_id or request_id for e in events],
        [e.created_at for e in events],
    )


async def emit(
    session: AsyncSession,
    type: str,
    subject_type: str,
    subject_id: object,
    merchant_ids: list[UUID | None],
    data: dict[str, Any],
) -> None:
    """Emit one event in the session's transaction (begun by the change it reports)."""
    await emit_on(
        await driver(session), [NewEvent(type, subject_type, subject_id, merchant_ids, data)]
    )
