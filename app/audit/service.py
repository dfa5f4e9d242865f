"""Recording audit events, in the same transaction as the change they describe."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.auth.principal import Principal
from app.context import current_request_id
from app.db import Driver, new_id, utcnow


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


_COLUMNS = (
    "id", "created_at", "actor_key_id", "actor_role", "actor_merchant_id", "action",
    "resource_type", "resource_id", "request_id", "details",
)  # fmt: skip
_INSERT = (
    f"INSERT INTO audit_event ({', '.join(_COLUMNS)})"
    f" VALUES ({', '.join(f'${n}' for n in range(1, len(_COLUMNS) + 1))})"
)


async def add_on_driver(connection: Driver, events: list[AuditEvent]) -> None:
    """Store audit events on an asyncpg connection, in its transaction (the group committer
    of trades writes without the ORM)."""
    await connection.executemany(
        _INSERT,
        [
            (
                new_id(), utcnow(), e.actor_key_id, e.actor_role, e.actor_merchant_id, e.action,
                e.resource_type, e.resource_id, e.request_id, json.dumps(e.details or {}),
            )
            for e in events
        ],
    )  # fmt: skip
