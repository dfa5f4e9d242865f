"""Fee-waiver rules as the API reads and writes them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_serializer

from app.core.money import PositiveAmount, cents
from app.core.regions import region_problem
from app.fees.engine import WaiverKind

# A rule's window may start in the past (trades recorded late) and end in the future, within
# these bounds (the dates of queries, DOMAIN.md "Dates and numbers in queries", but the
# years a waiver could plausibly run).
EARLIEST_DAY = date(1990, 1, 1)
LATEST_DAY = date(2100, 12, 31)


def _day(value: date) -> date:
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise ValueError(f"must lie between {EARLIEST_DAY} and {LATEST_DAY}")
    return value


WaiverDay = Annotated[
    date,
    AfterValidator(_day),
    Field(description=f"A day (Asia/Shanghai), {EARLIEST_DAY} to {LATEST_DAY}, both included."),
]


def _percent(value: str) -> str:
    if not Decimal(0) < Decimal(value) <= Decimal(100):
        raise ValueError("must be above 0 and at most 100")
    return value


Percent = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{1,3}(\.[0-9]{1,2})?$",
        description="The share of the fee waived, in per cent: above 0, at most 100, at "
        "most 2 places (a decimal string).",
        examples=["100", "50.5"],
    ),
    AfterValidator(_percent),
]


def _prefix(value: str) -> str:
    problem = region_problem(value.ljust(6, "0"))
    if problem:
        raise ValueError(problem)
    return value


RegionPrefix = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{2}([0-9]{2}([0-9]{2})?)?$",
        description="A GB/T 2260 code or its start: province (`33`), city (`3301`) or "
        "county (`330106`); `3301` covers `330106`.",
        examples=["3301"],
    ),
    AfterValidator(_prefix),
]


class FeeWaiverCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    kind: WaiverKind = Field(
        description="`first_on_venue_trade` (the seller's first on-venue trade, at any "
        "venue), `tier` (the seller's tier is `tier`), `region` (the seller's region code "
        "starts with one of `region_codes`), `period` (any on-venue trade in the window)."
    )
    percent: Percent
    from_: WaiverDay = Field(
        alias="from", description="First day of the window, by the trade's `occurred_at`."
    )
    to: WaiverDay = Field(description="Last day of the window (included), not before `from`.")
    cap_per_merchant: PositiveAmount = Field(
        description="The most this rule waives one seller in a calendar year (Asia/Shanghai)."
    )
    tier: Literal["leading", "growth"] | None = Field(
        default=None, description="For `kind: tier` only (and required there)."
    )
    region_codes: list[RegionPrefix] | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="For `kind: region` only (and required there).",
    )


class FeeWaiverEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: WaiverDay = Field(
        description="The rule's new last day: not after its current one (a rule is never "
        "extended), not before its first. Trades recorded under it keep their waiver."
    )


class FeeWaiverOut(BaseModel):
    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    id: UUID
    venue_code: str
    kind: WaiverKind
    percent: Decimal
    from_: date = Field(validation_alias="valid_from", serialization_alias="from", alias="from")
    to: date = Field(validation_alias="valid_to")
    cap_per_merchant: Decimal
    tier: str | None
    region_codes: list[str] | None
    created_at: datetime
    ended_at: datetime | None = Field(
        description="When `POST …/{id}/end` brought `to` forward; null if never."
    )

    @field_serializer("cap_per_merchant", "percent")
    def _two_places(self, value: Decimal) -> str:
        return cents(value)
