"""Emitting events: the outbox row and its webhook deliveries, in the caller's transaction.

One statement inserts the events and, for every subscription that wants it (its types
match, it belongs to an operator or to a merchant the event names, and the key that created
it is not revoked), a pending delivery. Both owners read such an event in full by the one
table of who reads which event (app/events/audience.py), so a subscription never receives
what its owner could not read at `/v1/events`.
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

from app.core.context import current_request_id
from app.core.db import Driver, driver, new_id, utcnow
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
    SELECT n.id, n.type, n.subject_type, n.subject_id, n.merchant_ids::uuid[], n.data::jsonb,
           n.request_id, n.created_at
    FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                $7::text[], $8::timestamptz[])
         AS n (id, type, subject_type, subject_id, merchant_ids, data, request_id, created_at)
    RETURNING id, type, merchant_ids, created_at
)
INSERT INTO webhook_delivery (id, subscription_id, event_id, status, attempts, next_attempt_at,
                              window_starts_at, created_at, updated_at)
SELECT gen_random_uuid(), s.id, e.id, 'pending', 0, e.created_at, e.created_at, e.created_at,
       e.created_at
FROM e JOIN webhook_subscription AS s
  ON s.deleted_at IS NULL
 AND (s.merchant_id IS NULL OR s.merchant_id = ANY (e.merchant_ids))
 AND NOT EXISTS (
     SELECT FROM api_key AS k WHERE k.id = s.created_by_key_id AND k.revoked_at IS NOT NULL
 )
 AND EXISTS (
     SELECT FROM unnest(s.event_types) AS t (pattern)
     WHERE t.pattern IN ('*', e.type)
        OR (right(t.pattern, 2) = '.*' AND starts_with(e.type, left(t.pattern, -1)))
 )
"""


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
    request_id = current_request_id()
    await connection.execute(
        _EMIT,
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
