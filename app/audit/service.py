"""Recording audit events, in the same transaction as the change they describe."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.auth.principal import Principal
from app.context import current_request_id


async def record(
    session: AsyncSession,
    actor: Principal | None,
    action: str,
    resource_type: str,
    resource_id: object,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event; it commits or rolls back with the change itself."""
    event = AuditEvent(
        actor_key_id=actor.key_id if actor else None,
        actor_role=actor.role.value if actor else None,
        actor_merchant_id=actor.merchant_id if actor else None,
        action=action,
        resource_type=resource_type,
        resource_id=str(resource_id),
        request_id=current_request_id(),
        details=details or {},
    )
    session.add(event)
    await session.flush()
    return event
