"""Programmes and claims as the API reads and writes them. Money is a decimal string with
two places; dates are calendar days (Asia/Shanghai)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from app.core.clock import EARLIEST_DAY, LATEST_DAY
from app.core.money import PositiveAmount
from app.core.regions import region_problem
from app.core.text import Name

# The kinds of first a programme may reward (app/firsts/service.py KINDS; a test holds them
# equal): 数商首注册, 首登记, 首挂牌, 首交易, 首评估, 首入表, 首认证.
FirstKind = Literal[
    "registered", "ip_registered", "listed", "traded", "valued", "capitalised", "certified"
]
Tier = Literal["leading", "growth"]

ProgrammeCode = Annotated[
    str,
    Field(
        pattern=r"^[A-Z0-9][A-Z0-9_-]{1,39}$",
        description="Upper-case letters, digits, `-` and `_`, 2–40 characters.",
        examples=["HZ-FIRSTS-2026"],
    ),
]


def _prefix(code: str) -> str:
    """A 2-, 4- or 6-digit administrative prefix: a province, a city or a county."""
    problem = region_problem(code.ljust(6, "0"))
    if problem:
        raise ValueError(problem)
    return code


RegionPrefix = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{2}([0-9]{2}){0,2}$",
        description="GB/T 2260 prefix: 2 digits (a province), 4 (a city) or 6 (a county); "
        "`3301` covers `330106`.",
        examples=["3301"],
    ),
    AfterValidator(_prefix),
]


def _bounded(day: date) -> date:
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValueError(f"must lie between {EARLIEST_DAY} and {LATEST_DAY}")
    return day


Day = Annotated[date, AfterValidator(_bounded)]


class ClaimState(StrEnum):
    """申请 applied → 批准 approved | 驳回 rejected; approved → 已支付 paid."""

    applied = "applied"
    approved = "approved"
    rejected = "rejected"
    paid = "paid"


class ProgrammeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    code: ProgrammeCode
    name: Name
    issuer: Name = Field(description="Who runs and pays the programme, e.g. 杭州市数据资源局.")
    region_codes: Annotated[list[RegionPrefix], Field(min_length=1, max_length=100)]
    firsts: dict[FirstKind, PositiveAmount] = Field(
        min_length=1, description="The amount (CNY) rewarded for each kind of first."
    )
    from_: Day = Field(alias="from", description="First day of the window (a first's date).")
    to: Day = Field(description="Last day of the window, on or after `from`.")
    tiers: Annotated[list[Tier], Field(min_length=1, max_length=2)] | None = Field(
        default=None, description="Only merchants of these tiers; omit for every merchant."
    )
    cap_per_merchant: PositiveAmount = Field(
        description="Most a merchant may be approved and paid in all (CNY)."
    )
    budget: PositiveAmount = Field(description="Most approved and paid in all (CNY).")

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.to < self.from_:
            raise ValueError("`to` must not be before `from`")
        return self


class ProgrammeOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: UUID
    code: str
    name: str
    issuer: str
    region_codes: list[str]
    firsts: dict[str, str]
    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    tiers: list[str] | None
    cap_per_merchant: str
    budget: str
    budget_used: str = Field(description="Approved and paid claims (CNY).")
    created_at: datetime
    version: int


class Record(BaseModel):
    type: str
    id: str


class Evidence(BaseModel):
    """The first's record and, when it is a ledger leaf, its log and index (prove it with
    `shushang-audit` or `GET /v1/ledgers/{log}/proofs/inclusion`)."""

    record: Record
    log: str | None = None
    leaf_index: int | None = None


class EligibleOut(BaseModel):
    merchant_id: UUID
    merchant_name: str
    first: str
    date: date
    amount: str
    evidence: Evidence


class ClaimCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    merchant_id: UUID | None = Field(
        default=None,
        description="The claiming merchant: an operator names it; a merchant's key claims for "
        "itself (omit it or name itself).",
    )
    first: FirstKind


class ClaimOut(BaseModel):
    id: UUID
    programme_code: str
    merchant_id: UUID
    first: str
    date: date
    amount: str
    state: ClaimState
    evidence: Evidence
    evidence_changed: bool = Field(
        description="True when the merchant's first of this kind is no longer the record "
        "the claim was made on (e.g. that trade was refunded since)."
    )
    created_at: datetime
    decided_at: datetime | None
    paid_at: datetime | None
    version: int


class StateTotal(BaseModel):
    count: int
    amount: str


class SummaryRow(BaseModel):
    merchant_id: UUID
    merchant_name: str
    uscc: str
    first: str
    date: date
    amount: str
    state: ClaimState
    evidence_changed: bool


class Summary(BaseModel):
    """申报汇总表: every claim of the programme, by merchant and first, with the totals."""

    model_config = ConfigDict(populate_by_name=True)

    programme_code: str
    name: str
    issuer: str
    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    rows: list[SummaryRow]
    totals: dict[ClaimState, StateTotal]
    budget: str
    used: str = Field(description="Approved and paid (CNY).")
    remaining: str = Field(description="Budget less used (CNY).")


Decision = Literal["approve", "reject", "pay"]
