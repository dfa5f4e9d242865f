"""Trades and trade events as the API reads and writes them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_serializer,
    field_validator,
)

from app.core.clock import plausible_occurrence
from app.core.money import Amount, cents
from app.web.openapi_docs import Problem

MAX_AMOUNT = Decimal(10) ** 12
Occurrence = Annotated[
    AwareDatetime,
    AfterValidator(plausible_occurrence),
    Field(description="With an offset; from 1990-01-01 to one day after now."),
]


def storable(value: str) -> str:
    """`value` if PostgreSQL can store it: no NUL, no lone surrogate (JSON's `\\ud800`)."""
    if "\x00" in value:
        raise ValueError("contains a NUL character (U+0000), which cannot be stored")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as bad:
        raise ValueError(f"contains a lone surrogate at {bad.start}: not text") from None
    return value


# Free text of a trade (what was sold, for how long): anything PostgreSQL can store. Tabs and
# line breaks are kept (the CSV export neutralises a cell that starts with one).
Label = Annotated[str, Field(max_length=100), AfterValidator(storable)]


class EventType(StrEnum):
    confirmed = "confirmed"
    delivered = "delivered"
    settled = "settled"
    disputed = "disputed"
    refunded = "refunded"
    cancelled = "cancelled"


class TradeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    venue_code: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]{1,15}$", examples=["HZDEX"])]
    on_venue: bool = Field(description="场内 (true: needs a listing listed at the venue) or 场外.")
    listing_id: UUID | None = None
    product_id: UUID | None = None
    seller_merchant_id: UUID
    buyer_merchant_id: UUID
    amount: Annotated[Amount, Field(description="CNY, > 0 and ≤ 10^12.")]
    quantity: Annotated[Label | None, Field(examples=["10000 次调用"])] = None
    term: Annotated[Label | None, Field(examples=["12 个月"])] = None
    contract_digest: Annotated[
        str, Field(pattern=r"^[0-9a-f]{64}$", description="Hex SHA-256 of the signed contract.")
    ]
    occurred_at: Occurrence

    @field_validator("amount")
    @classmethod
    def _in_range(cls, amount: str) -> str:
        if not Decimal(0) < Decimal(amount) <= MAX_AMOUNT:
            raise ValueError("must be above 0 and at most 10^12")
        return amount


class TradeEventCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: EventType
    occurred_at: Occurrence | None = Field(default=None, description="Default: now.")
    note: Annotated[str | None, Field(max_length=2000)] = None


class TradeEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    trade_id: UUID
    type: EventType
    occurred_at: datetime
    note: str | None
    leaf_index: int
    created_at: datetime


class TradeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    venue_code: str
    listing_id: UUID | None
    product_id: UUID | None
    seller_merchant_id: UUID
    buyer_merchant_id: UUID
    amount: Decimal
    fee: Decimal = Field(
        description="The fee charged to the seller: `fee_before_waiver` less the waiver of "
        "the rule `fee_waiver_id`, if one applied."
    )
    fee_before_waiver: Decimal = Field(
        description="amount × the venue's fee rate, rounded half-up: the fee before any "
        "waiver (equal to `fee` when none applied)."
    )
    fee_waiver_id: UUID | None = Field(
        description="The venue's fee-waiver rule that waived part of the fee at recording "
        "(`GET /v1/venues/{code}/fee-waivers/{id}`); null when none applied."
    )
    currency: str
    quantity: str | None
    term: str | None
    on_venue: bool
    reported_by_merchant_id: UUID | None = Field(
        description="The merchant whose key reported this off-venue trade; null when an "
        "operator recorded it."
    )
    confirmed: bool = Field(
        description="False for an off-venue trade a merchant reported until the counterparty "
        "(or an operator) appends `confirmed`; unconfirmed trades count in no statistic. "
        "In a replayed answer, as it was when the trade was recorded."
    )
    operator_confirmed: bool = Field(
        description="Recorded by an operator, or confirmed by one (a `confirmed` event an "
        "operator's key appended). In a replayed answer, as it was when recorded."
    )
    large: bool = Field(
        description="An off-venue trade above `SHUSHANG_LARGE_TRADE_AMOUNT` (default "
        "10000000.00): it counts in statistics and as a market comparable only once "
        "`operator_confirmed`; a counterparty's confirmation is not enough."
    )
    contract_digest: str
    occurred_at: datetime
    leaf_index: int = Field(description="The trade's leaf in the venue's ledger.")
    created_at: datetime

    @field_serializer("amount", "fee", "fee_before_waiver")
    def _money(self, value: Decimal) -> str:
        return cents(value)


class TradeDetail(TradeOut):
    events: list[TradeEventOut]


class ImportLine(TradeCreate):
    """One line of a bulk import: a trade's body and the line's own idempotency key."""

    idempotency_key: Annotated[
        str,
        Field(
            min_length=1,
            max_length=255,
            pattern=r"^[\x20-\x7e]+$",
            description="As the `Idempotency-Key` header of `POST /v1/transactions` (printable "
            "ASCII), and in the same space: the caller's keys, whichever way they came.",
        ),
    ]


class ImportStatus(StrEnum):
    created = "created"
    replayed = "replayed"
    refused = "refused"


class ImportResult(BaseModel):
    line: int = Field(description="1-based, as an editor numbers the body's lines.")
    status: ImportStatus
    trade_id: UUID | None = Field(default=None, description="Created or replayed lines only.")
    leaf_index: int | None = Field(
        default=None, description="The trade's leaf in its venue's ledger (created or replayed)."
    )
    problem: Problem | None = Field(
        default=None,
        description="Refused lines only: the RFC 9457 problem the trade alone would have got "
        "from `POST /v1/transactions`, in the caller's language.",
    )


class ImportAnswer(BaseModel):
    """Streamed as it is decided: the results of a batch of lines are written once the batch
    has committed, so every `created` line received is durable."""

    import_id: UUID = Field(description="Also in the audit events of the import and its trades.")
    results: list[ImportResult] = Field(description="One per line, in the order of the lines.")
    created: int
    replayed: int
    refused: int
