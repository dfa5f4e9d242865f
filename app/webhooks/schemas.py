"""Webhook subscriptions and deliveries as the API reads and writes them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.outbox.types import is_known_pattern

EventTypes = Annotated[
    list[str],
    Field(
        min_length=1,
        max_length=100,
        description='Event types, `group.*`, or `["*"]` for all (see the README\'s list).',
        examples=[["listing.approved", "trade.*"]],
    ),
]
Url = Annotated[str, Field(min_length=8, max_length=2000, examples=["https://example.cn/hooks"])]


def _known(types: list[str]) -> list[str]:
    unknown = [t for t in types if not is_known_pattern(t)]
    if unknown:
        raise ValueError(f"unknown event types: {', '.join(unknown)}")
    return sorted(set(types))


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Url
    event_types: EventTypes
    description: Annotated[str | None, Field(max_length=500)] = None

    @field_validator("event_types")
    @classmethod
    def _types(cls, value: list[str]) -> list[str]:
        return _known(value)


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Url | None = None
    event_types: EventTypes | None = None
    description: Annotated[str | None, Field(max_length=500)] = None
    enabled: bool | None = Field(default=None, description="true re-enables a disabled one.")

    @field_validator("event_types")
    @classmethod
    def _types(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _known(value)


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    merchant_id: UUID | None = Field(description="Whose events it gets; null: all (operator).")
    url: str
    event_types: list[str]
    description: str | None
    enabled: bool
    disabled_reason: str | None
    consecutive_failures: int
    created_at: datetime
    updated_at: datetime
    version: int


class WebhookCreated(WebhookOut):
    secret: str = Field(description="`whsec_…`: verifies signatures. Shown only now.")


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    attempted_at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None


class DeliveryOut(BaseModel):
    id: UUID
    event_id: UUID
    event_type: str
    status: str = Field(description="pending, succeeded or failed.")
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    attempt_log: list[AttemptOut]
