"""Recording audit events, in the same transaction as the change they describe."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.core.context import current_request_id
from app.core.db import Driver, new_id
from app.core.principal import Principal


def event(
    actor: Principal | None,
    action: str,
    resource_type: str,
    resource_id: object,
    details: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> AuditEvent:
    """An audit event, not yet added to a session. `request_id` defaults to the current
    request's (pass it when writing for another request)."""
    return AuditEvent(
        actor_key_id=actor.key_id if actor else None,
        actor_role=actor.role.value if actor else None,
        actor_merchant_id=actor.merchant_id if actor else None,
        action=action,
        resource_type=resource_type,
        resource_id=str(resource_id),
        request_id=request_id or current_request_id(),
        details=details or {},
    )


async def record(
    session: AsyncSession,
    actor: Principal | None,
    action: str,
    resource_type: str,
    resource_id: object,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event; it commits or rolls back with the change itself."""
    added = event(actor, action, resource_type, resource_id, details)
    session.add(added)
    await session.flush()
    return added


@dataclass(frozen=True, slots=True)
class Entry:
    """An audit event as plain data, for a writer that skips the ORM (the trade committer
    stores hundreds a second). `request_id` is the request it was made for."""

    actor: Principal
    action: str
    resource_type: str
    resource_id: object
    details: dict[str, Any]
    request_id: str | None


_INSERT = """
INSERT INTO audit_event (id, created_at, actor_key_id, actor_role, actor_merchant_id, action,
                         resource_type, resource_id, request_id, details)
SELECT e.id, now(), e.actor_key_id, e.actor_role, e.actor_merchant_id, e.action,
       e.resource_type, e.resource_id, e.request_id, e.details::jsonb
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[],
            $8::text[], $9::text[])
     AS e (id, actor_key_id, actor_role, actor_merchant_id, action, resource_type, resource_id,
           request_id, details)
"""


async def add_on_driver(connection: Driver, entries: list[Entry]) -> None:
    """Store audit events on an asyncpg connection, in its transaction: one statement."""
    await connection.execute(
        _INSERT,
        [new_id() for _ in entries],
        [e.actor.key_id for e in entries],
        [e.actor.role.value for e in entries],
        [e.actor.merchant_id for e in entries],
        [e.action for e in entries],
        [e.resource_type for e in entries],
        [str(e.resource_id) for e in entries],
        [e.request_id for e in entries],
        [json.dumps(e.details) for e in entries],
    )
