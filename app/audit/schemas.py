"""Audit event as the API shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    created_at: datetime
    actor_key_id: UUID | None
    actor_role: str | None
    actor_merchant_id: UUID | None
    action: str
    resource_type: str
    resource_id: str
    request_id: str | None
    details: dict[str, Any]
