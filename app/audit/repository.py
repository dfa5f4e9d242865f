"""Queries on audit events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    actor_key_id: UUID | None = None
    actor_role: str | None = None
    request_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    outcome: str | None = None


async def list_page(
    session: AsyncSession, where: AuditFilter, before: UUID | None, limit: int
) -> list[AuditEvent]:
    """Newest first; `before` is the id of the last event of the previous page."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit + 1)
    if where.action:
        query = query.where(AuditEvent.action == where.action)
    if where.resource_type:
        query = query.where(AuditEvent.resource_type == where.resource_type)
    if where.resource_id:
        query = query.where(AuditEvent.resource_id == where.resource_id)
    if where.actor_key_id:
        query = query.where(AuditEvent.actor_key_id == where.actor_key_id)
    if where.actor_role:
        query = query.where(AuditEvent.actor_role == where.actor_role)
    if where.request_id:
        query = query.where(AuditEvent.request_id == where.request_id)
    if where.since:
        query = query.where(AuditEvent.created_at >= where.since)
    if where.until:
        query = query.where(AuditEvent.created_at < where.until)
    if where.outcome:
        query = query.where(AuditEvent.outcome == where.outcome)
    if before:
        query = query.where(AuditEvent.id < before)
    return list((await session.execute(query)).scalars())
