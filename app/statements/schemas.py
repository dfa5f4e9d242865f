"""A monthly statement as the API carries it: money as decimal strings, times as
Asia/Shanghai ISO 8601 text (the digest is over exactly this text)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field


class StatementTrade(BaseModel):
    trade_id: UUID
    role: Literal["seller", "buyer"]
    amount: str = Field(description="CNY.")
    fee: str = Field(
        description="The fee due by this merchant: the trade's fee as seller, 0.00 as buyer."
    )
    fee_before_waiver: str = Field(description="CNY; 0.00 as buyer.")
    waiver: str = Field(description="fee_before_waiver − fee; 0.00 as buyer.")
    occurred_at: str = Field(description="Asia/Shanghai, ISO 8601.")


class StatementAdjustment(BaseModel):
    trade_id: UUID
    month: str = Field(description="The closed month of the trade's `occurred_at`.")
    role: Literal["seller", "buyer"]
    change: Literal["recorded", "confirmed", "cancelled", "refunded"] = Field(
        description="`recorded` or `confirmed` after its month closed (the trade enters, "
        "amounts positive); `cancelled` or `refunded` after it (the trade leaves, negative)."
    )
    amount: str = Field(description="CNY, signed.")
    fee: str = Field(description="CNY, signed; 0.00 as buyer.")
    fee_before_waiver: str
    waiver: str
    occurred_at: str = Field(description="Asia/Shanghai, ISO 8601.")
    recorded_at: str = Field(description="When the change was recorded, Asia/Shanghai.")


class StatementTotals(BaseModel):
    trades: int
    sold: str = Field(description="Sum of the month's trades as seller.")
    bought: str = Field(description="Sum of the month's trades as buyer.")
    fees_before_waiver: str
    waivers: str
    fees_due: str = Field(description="fees_before_waiver − waivers: the month's own fees.")
    adjustments_sold: str
    adjustments_bought: str
    adjustments_fees: str = Field(description="Sum of the adjustments' fees (signed).")
    net_due: str = Field(description="fees_due + adjustments_fees: what the merchant owes.")


class Statement(BaseModel):
    merchant_id: UUID
    venue_code: str
    month: str = Field(description="`YYYY-MM`, Asia/Shanghai.")
    closes_at: str = Field(
        description="Day SHUSHANG_STATEMENT_CLOSE_DAY of the next month, 00:00 Asia/Shanghai."
    )
    closed: bool = Field(
        description="True from 10 minutes after `closes_at` (requests in flight at the close "
        "have committed by then): a closed statement never changes. Its content is cut at "
        "`closes_at` as soon as that has passed."
    )
    trades: list[StatementTrade]
    totals: StatementTotals
    adjustments: list[StatementAdjustment] = Field(
        description="Changes to trades of closed months recorded while this month was the "
        "first one open."
    )
    content_sha256: str = Field(
        description="SHA-256 (hex) of this statement as RFC 8785 canonical JSON without "
        "`content_sha256`."
    )
