"""Assessment requests and results as the API shows them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from app.assessments.repository import Exclusion
from app.core.money import SignedAmount

Rate = Annotated[
    str,
    Field(
        pattern=r"^-?[0-9]{1,3}(\.[0-9]{1,8})?$",
        description="A decimal string, e.g. `0.1`.",
        examples=["0.1"],
    ),
]
Coefficient = Annotated[
    str,
    Field(
        pattern=r"^[0-9](\.[0-9]{1,8})?$",
        description="A quality coefficient Q in [0, 1], e.g. `0.8`.",
        examples=["0.8"],
    ),
]


class CostKind(StrEnum):
    """规划, 获取, 存储, 加工, 人工, 间接, 税费."""

    planning = "planning"
    acquisition = "acquisition"
    storage = "storage"
    processing = "processing"
    labour = "labour"
    indirect = "indirect"
    taxes = "taxes"


class QualityRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sample_id: UUID | None = Field(default=None, description="Default: the latest sample.")


class ComplianceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sample_id: UUID | None = Field(default=None, description="Default: the latest sample.")
    venue_codes: Annotated[list[str], Field(max_length=50)] | None = Field(
        default=None, description="Venues whose negative lists to apply. Default: every venue."
    )


class CostItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: CostKind
    amount: SignedAmount


class CostValuation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["cost"]
    cost_items: Annotated[list[CostItemIn], Field(min_length=1, max_length=100)]
    return_rate: Rate
    quality_coefficient: Coefficient | None = Field(
        default=None, description="Default: from the product's latest quality assessment."
    )


class IncomeValuation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["income"]
    cash_flows: Annotated[list[SignedAmount], Field(min_length=1, max_length=50)]
    discount_rate: Rate
    share_rate: Rate = Field(default="1", description="K, the share attributable to the data.")


class ComparableIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    price: SignedAmount
    quality_coefficient: Coefficient
    date_adjustment: Rate = "1"
    volume_adjustment: Rate = "1"
    other_adjustment: Rate = "1"
    reference: Annotated[str | None, Field(max_length=200)] = None


class MarketValuation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["market"]
    comparables: Annotated[list[ComparableIn], Field(max_length=100)] | None = Field(
        default=None,
        description="Default: trusted recorded trades of products of the same type and domain "
        "(settled, on-venue or confirmed, large off-venue ones confirmed by an operator, "
        "quality assessed by an assessor or operator, one per seller, none of the valued "
        "product's merchant); fewer than 3 is 422. Given or recorded, the value is the median "
        "of the adjusted prices with outliers (further than 3 × 1.4826 × MAD from the median) "
        "excluded; the kept must be at least 3, from 3 distinct sellers and 3 distinct buyers "
        "(a comparable given here counts as a seller and a buyer of its own), else 422.",
    )
    quality_coefficient: Coefficient | None = Field(
        default=None, description="Default: from the product's latest quality assessment."
    )


ValuationRequest = Annotated[
    CostValuation | IncomeValuation | MarketValuation, Field(discriminator="method")
]


class Assessor(BaseModel):
    key_id: UUID | None
    role: str
    merchant_id: UUID | None


class _AssessmentOut(BaseModel):
    id: UUID
    product_id: UUID
    product_revision: int
    self_check: bool = Field(description="Run by the product's own merchant, not an assessor.")
    assessed_by: Assessor
    rules_version: str
    inputs: dict[str, Any]
    duration_ms: int
    created_at: datetime


class QualityAssessmentOut(_AssessmentOut):
    sample_id: UUID
    sample_sha256: str
    indicators: dict[str, float] = Field(
        description="completeness, conformity, accuracy, consistency, timeliness, "
        "accessibility: percentages 0–100 with 2 decimals."
    )
    overall: float
    grade: Literal["A", "B", "C", "D"]
    quality_coefficient: float = Field(description="Q = overall / 100.")
    rows: int
    weights: dict[str, float]
    columns: list[dict[str, Any]]
    details: dict[str, Any]


class FindingOut(BaseModel):
    code: str
    severity: Literal["blocker", "major", "minor"]
    evidence: dict[str, Any]
    remediation: str
    venue_code: str | None = None


class VenueCompliance(BaseModel):
    result: Literal["pass", "conditional", "fail"]
    negative_list_version: int
    findings: list[FindingOut]


class ComplianceAssessmentOut(_AssessmentOut):
    sample_id: UUID
    sample_sha256: str
    result: Literal["pass", "conditional", "fail"] = Field(
        description="The worst over every venue assessed; see `venues` for each."
    )
    findings: list[FindingOut]
    venues: dict[str, VenueCompliance]
    personal_info_found: dict[str, Any]
    rows_scanned: int


class ExcludedComparable(BaseModel):
    """A comparable, or candidate trade, the market valuation left out, and why."""

    trade_id: UUID | None = Field(description="Null for a comparable given in the request.")
    reason: Exclusion
    comparable: int | None = Field(
        default=None, description="A comparable given in the request: its index there."
    )
    reference: str | None = Field(
        default=None, description="A comparable given in the request: its `reference`."
    )


class LeftOutTrades(BaseModel):
    count: int
    trade_ids: list[UUID] = Field(description="The newest of them, at most 20.")


class ComparableSelection(BaseModel):
    """Which recorded trades a market valuation used, and why it left out the others."""

    source: Literal["trusted_trades"]
    candidates: int = Field(
        description="Recorded trades of products of the same type sharing a domain."
    )
    used: list[UUID] = Field(
        description="The kept comparables' trade ids (trusted, no outliers), newest first."
    )
    left_out: dict[Exclusion, LeftOutTrades] = Field(
        description="Per reason, in the order the rule checks: `valued_merchant` (the valued "
        "product's merchant is seller or buyer), `unconfirmed` (an off-venue trade a merchant "
        "reported that nobody confirmed), `large_unconfirmed` (an off-venue trade above "
        "`SHUSHANG_LARGE_TRADE_AMOUNT` that no operator confirmed), `cancelled`, `refunded`, "
        "`disputed`, `not_settled`, `no_assessed_quality` (no quality coefficient from an "
        "assessor's or operator's assessment of the traded product; self-checks never "
        "count), `older_trade_of_seller` (one comparable per seller, its most recent), "
        "`beyond_limit` (the 20 most recent sellers' trades are used), `outlier` (adjusted "
        "price further than 3 × 1.4826 × MAD from the median)."
    )


class ValuationOut(_AssessmentOut):
    method: Literal["cost", "income", "market"]
    value: str = Field(description="CNY, a decimal string with 2 places.", examples=["154000.44"])
    currency: Literal["CNY"] = "CNY"
    formula: str
    factors: dict[str, Any]
    breakdown: list[dict[str, Any]] = Field(
        description="Per cost item, period or comparable; a comparable from a recorded trade "
        "names its `trade_id`, seller, buyer, date and the quality assessment its Qⱼ comes "
        "from. Market approach: every trusted comparable with its `adjusted_price`, and "
        "`excluded`: null when kept, `outlier` when not."
    )
    comparables: ComparableSelection | None = Field(
        default=None,
        description="Market approach on recorded trades: which were used and why the other "
        "candidates were not.",
    )
    excluded: list[ExcludedComparable] | None = Field(
        default=None,
        description="Market approach: every comparable or candidate trade left out, with "
        "its reason, in the order the rule checks (per reason, the newest 20 trades; "
        "`comparables.left_out` counts them all). Null for the other methods and for market "
        "valuations made before 2026-12-07.",
    )
