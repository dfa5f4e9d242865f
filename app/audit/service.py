"""Recording audit events, in the same transaction as the change they describe."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.auth.principal import Principal
from app.context import current_request_id


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
