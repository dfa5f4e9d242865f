"""Emitting events: the outbox row and its webhook deliveries, in the caller's transaction.

One statement per event inserts it and, for every subscription that wants it (its types
match, and it belongs to staff or to a merchant the event concerns), a pending delivery.
So an event exists exactly when the change that caused it committed, and nothing is sent
for a change that rolled back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.context import current_request_id
from app.db import Driver, driver, new_id, utcnow
from app.events.types import ALL


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


_EMIT = """
WITH e AS (
    INSERT INTO event (id, type, subject_type, subject_id, merchant_ids, data, request_id,
                       created_at)
    VALUES ($1, $2, $3, $4, $5::uuid[], $6, $7, $8)
    RETURNING id, type, merchant_ids
)
INSERT INTO webhook_delivery (id, subscription_id, event_id, status, attempts, next_attempt_at,
                              window_starts_at, created_at, updated_at)
SELECT gen_random_uuid(), s.id, e.id, 'pending', 0, $8, $8, $8, $8
FROM e JOIN webhook_subscription AS s
  ON s.deleted_at IS NULL
 AND (s.merchant_id IS NULL OR s.merchant_id = ANY (e.merchant_ids))
 AND EXISTS (
     SELECT FROM unnest(s.event_types) AS t (pattern)
     WHERE t.pattern IN ('*', e.type)
        OR (right(t.pattern, 2) = '.*' AND starts_with(e.type, left(t.pattern, -1)))
 )
"""


async def emit_on(connection: Driver, events: list[NewEvent]) -> None:
    """Store events on an asyncpg connection in a transaction (the trade committer's)."""
    assert connection.is_in_transaction(), "an event must commit with its change"
    for event in events:
        assert event.type in ALL, event.type
    await connection.executemany(
        _EMIT,
        [
            (
                e.id,
                e.type,
                e.subject_type,
                str(e.subject_id),
                sorted({m for m in e.merchant_ids if m is not None}),
                json.dumps(e.data, ensure_ascii=False, default=str),
                e.request_id or current_request_id(),
                e.created_at,
            )
            for e in events
        ],
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
