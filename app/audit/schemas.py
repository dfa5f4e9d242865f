"""Audit event as the API shows it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class AuditOutcome(StrEnum):
    succeeded = "succeeded"
    refused = "refused"


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
    outcome: AuditOutcome = Field(
        description="`succeeded`: the change happened; `refused`: a write answered 401, 403 or "
        "409, with the reason in `details` (nothing changed but this record)."
    )
    details: dict[str, Any]
