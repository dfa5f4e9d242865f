"""The negotiations' and agreements' bodies (DESIGN.md "Contracts and delivery")."""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from app.contracts.states import State, Step


class Right(StrEnum):
    """持有 (hold), 使用 (use), 经营 (operate)."""

    hold = "hold"
    use = "use"
    operate = "operate"


class OfferIn(BaseModel):
    """The terms asked or offered: the rights, the purpose and the term's last day (in
    Asia/Shanghai); the territory is always 境内 (`CN`)."""

    model_config = ConfigDict(extra="forbid")

    rights: list[Right] = Field(min_length=1, max_length=3, examples=[["use"]])
    purpose: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")
    term_end: date = Field(examples=["2027-12-31"])


class OfferChange(BaseModel):
    """The provider's offer: no fields (`{}` or no body) offers the terms in force; new
    terms give all three fields."""

    model_config = ConfigDict(extra="forbid")

    rights: list[Right] | None = Field(default=None, min_length=1, max_length=3)
    purpose: str | None = Field(
        default=None, min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$"
    )
    term_end: date | None = None


class NegotiationStepOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    action: Step
    from_state: State | None
    to_state: State
    offer: dict[str, Any] | None
    agreement_sha256: str | None
    leaf_index: int
    created_at: datetime


class NegotiationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    listing_id: UUID
    venue_code: str
    consumer_merchant_id: UUID
    provider_merchant_id: UUID
    state: State
    offer: dict[str, Any]
    agreement_id: UUID | None
    version: int
    created_at: datetime
    updated_at: datetime
    steps: list[NegotiationStepOut] = Field(
        default_factory=list, description="Every step, oldest first: each a leaf of the venue log."
    )


class NegotiationSummary(BaseModel):
    """A negotiation in a list (without its steps)."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    listing_id: UUID
    venue_code: str
    consumer_merchant_id: UUID
    provider_merchant_id: UUID
    state: State
    agreement_id: UUID | None
    version: int
    updated_at: datetime


class AgreementOut(BaseModel):
    id: UUID
    negotiation_id: UUID
    listing_id: UUID
    consumer_merchant_id: UUID
    provider_merchant_id: UUID
    document: dict[str, Any] = Field(
        description="The ODRL agreement; `sha256` is of its RFC 8785 canonical bytes."
    )
    sha256: str
    signature: str = Field(
        description="The venue's signed note whose text is the line `sha256:<hex>`."
    )
    trade_id: UUID | None
    created_at: datetime

    @classmethod
    def of(cls, row: Any, trade_id: UUID | None) -> AgreementOut:
        return cls(
            id=row.id,
            negotiation_id=row.negotiation_id,
            listing_id=row.listing_id,
            consumer_merchant_id=row.consumer_merchant_id,
            provider_merchant_id=row.provider_merchant_id,
            document=json.loads(row.canonical),
            sha256=row.sha256,
            signature=row.signature,
            trade_id=trade_id,
            created_at=row.created_at,
        )
