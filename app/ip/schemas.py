"""Data IP registrations, their steps and certificates as the API reads and writes them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator

from app.core.money import Amount, cents
from app.core.text import Name
from app.ip.states import IpStatus, PledgeStatus
from app.merchants import uscc
from app.products.schemas import DataSource, Domain

Line = Name  # names and other one-line fields: printable characters only (app/core/text.py)
Prose = Annotated[str, Field(min_length=1, max_length=4000)]
Reason = Annotated[str, Field(min_length=1, max_length=2000)]
Digest = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="Hex SHA-256.")]


class _Describable(BaseModel):
    """The application fields of DOMAIN.md that a registered holder may later change."""

    model_config = ConfigDict(extra="forbid")

    data_name: Line | None = None
    scale: Annotated[str | None, Field(min_length=1, max_length=200, examples=["1.2 亿条"])] = None
    data_format: Annotated[
        str | None, Field(min_length=1, max_length=100, examples=["CSV, JSON Lines"])
    ] = None
    structure: Annotated[str | None, Field(min_length=1, max_length=4000)] = None
    update_frequency: Annotated[
        str | None, Field(min_length=1, max_length=50, examples=["每日"])
    ] = None
    time_span_start: date | None = None
    time_span_end: date | None = None
    processing_rules: Annotated[
        str | None,
        Field(min_length=1, max_length=4000, description="算法规则, incl. desensitisation."),
    ] = None
    application_scenarios: Annotated[
        list[Line] | None, Field(min_length=1, max_length=20, examples=[["信贷风控"]])
    ] = None
    evidence_reference: Annotated[
        str | None, Field(max_length=500, description="存证 or notarisation reference.")
    ] = None


class IpRegistrationCreate(_Describable):
    """An application. `domain`, `sources` and the time span default to the product's;
    `evidence_digest` to the SHA-256 of the product's latest sample."""

    product_id: UUID
    data_name: Line
    scale: Annotated[str, Field(min_length=1, max_length=200, examples=["1.2 亿条"])]
    data_format: Annotated[str, Field(min_length=1, max_length=100, examples=["CSV"])]
    structure: Prose
    update_frequency: Annotated[str, Field(min_length=1, max_length=50, examples=["每日"])]
    processing_rules: Annotated[
        str, Field(min_length=1, max_length=4000, description="算法规则, incl. desensitisation.")
    ]
    application_scenarios: Annotated[list[Line], Field(min_length=1, max_length=20)]
    domain: Domain | None = None
    sources: Annotated[list[DataSource] | None, Field(min_length=1, max_length=50)] = None
    evidence_digest: Digest | None = None


class IpChange(_Describable):
    """变更: the fields to change (at least one)."""


class Decision(StrEnum):
    accept = "accept"
    reject = "reject"


class Examination(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Decision
    reason: Reason | None = Field(default=None, description="Required to reject.")


class ReasonBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


class OptionalReason(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason | None = None


class ObjectionDecision(StrEnum):
    uphold = "uphold"
    dismiss = "dismiss"


class ObjectionKind(StrEnum):
    ownership = "ownership"
    other = "other"


class ObjectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ObjectionKind = Field(description="`ownership`: the data is claimed by another.")
    grounds: Prose


class Transfer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_merchant_id: UUID
    reason: Reason | None = None


class _Term(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_on: date
    ends_on: date

    @field_validator("ends_on")
    @classmethod
    def _ordered(cls, ends_on: date, info: Any) -> date:
        starts_on = info.data.get("starts_on")
        if starts_on is not None and ends_on < starts_on:
            raise ValueError("is before starts_on")
        return ends_on


class LicenceCreate(_Term):
    licensee_merchant_id: UUID | None = Field(
        default=None, description="A registered merchant; or give `licensee_name`."
    )
    licensee_name: Line | None = None
    scope: Annotated[str, Field(min_length=1, max_length=1000, examples=["信贷风控模型训练"])]
    exclusive: bool = Field(description="An exclusive licence admits no overlapping one.")


class PledgeCreate(_Term):
    """The holder's application (质押登记): the pledge is `applied` until confirmed."""

    pledgee_name: Line | None = Field(
        default=None,
        description="Required without `pledgee_merchant_id`; with it, the merchant's "
        "registered name (filled in when omitted, another name is 422).",
    )
    pledgee_uscc: Annotated[str | None, Field(min_length=18, max_length=18)] = None
    pledgee_merchant_id: UUID | None = Field(
        default=None,
        description="The pledgee, when it is a merchant of the exchange (not the holder): "
        "its merchant key may then confirm and release the pledge. Without it only an "
        "operator may.",
    )
    secured_amount: Annotated[Amount, Field(description="CNY secured, > 0.")]

    @field_validator("pledgee_uscc")
    @classmethod
    def _uscc(cls, value: str | None) -> str | None:
        if value is not None and not uscc.is_valid(value):
            raise ValueError("is not a valid USCC (check character)")
        return value

    @field_validator("secured_amount")
    @classmethod
    def _positive(cls, value: str) -> str:
        if Decimal(value) <= 0:
            raise ValueError("must be above 0")
        return value


class Release(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pledge_id: UUID


class ConsentStep(StrEnum):
    """The steps a pledge in force blocks without the pledgee's consent."""

    transfer = "transfer"
    cancel = "cancel"
    license = "license"


class ConsentCreate(BaseModel):
    """The pledgee's consent to one step, as the operator records it: it admits one such
    step."""

    model_config = ConfigDict(extra="forbid")

    step: ConsentStep
    reference: Annotated[
        str | None, Field(max_length=500, description="The pledgee's written consent.")
    ] = None


class ConsentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    pledge_id: UUID
    step: ConsentStep
    reference: str | None
    used_at: datetime | None = Field(description="When the step it admitted was taken.")
    created_at: datetime


class ObjectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    kind: ObjectionKind
    grounds: str
    objector_merchant_id: UUID | None
    status: str
    decision_reason: str | None
    decided_at: datetime | None
    created_at: datetime


class LicenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    licensee_merchant_id: UUID | None
    licensee_name: str
    scope: str
    exclusive: bool
    starts_on: date
    ends_on: date
    created_at: datetime


class PledgeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    pledgee_name: str
    pledgee_uscc: str | None
    pledgee_merchant_id: UUID | None
    pledgor_merchant_id: UUID = Field(description="The holder that applied.")
    secured_amount: Decimal
    starts_on: date
    ends_on: date
    status: PledgeStatus = Field(
        description="`applied` (restricts nothing yet), `in_force` once confirmed by the "
        "pledgee's key or the operator, `withdrawn`, `released`."
    )
    confirmed_at: datetime | None
    withdrawn_at: datetime | None
    released_at: datetime | None
    created_at: datetime

    @field_serializer("secured_amount")
    def _money(self, value: Decimal) -> str:
        return cents(value)


class StepOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    action: str
    from_status: str | None
    to_status: str
    certificate_number: str | None
    holder_merchant_id: UUID
    details: dict[str, Any]
    created_at: datetime
    ledger: str = Field(default="IPR", description="The registry log holding this step.")
    leaf_index: int = Field(description="The step's leaf in the `IPR` log.")


class IpRegistrationOut(BaseModel):
    id: UUID
    product_id: UUID
    applicant_merchant_id: UUID
    holder_merchant_id: UUID
    data_name: str
    domain: str
    sources: list[dict[str, Any]]
    scale: str
    data_format: str
    structure: str
    update_frequency: str
    time_span_start: date | None
    time_span_end: date | None
    processing_rules: str
    application_scenarios: list[str]
    evidence_digest: str
    evidence_reference: str | None
    status: IpStatus = Field(description="`registered` turns `expired` once valid_until passes.")
    publicity_starts_at: datetime | None
    publicity_ends_at: datetime | None = Field(description="When the public notice ends.")
    certificate_number: str | None
    granted_on: date | None
    valid_until: date | None = Field(description="The last day the certificate is valid.")
    decision_reason: str | None
    suspension_reason: str | None = Field(
        description="Why a `suspended` registration is: `core_data` (its product became core)."
    )
    allowed_actions: list[str]
    created_at: datetime
    updated_at: datetime
    version: int


class IpRegistrationDetail(IpRegistrationOut):
    objections: list[ObjectionOut]
    licences: list[LicenceOut]
    pledges: list[PledgeOut]
    consents: list[ConsentOut] = Field(description="The pledgee's consents on its pledges.")
    history: list[StepOut]


class Party(BaseModel):
    id: UUID
    name: str


class CertificateOut(BaseModel):
    """What anyone may check about a certificate (数据知识产权登记证书)."""

    certificate_number: str
    registration_id: UUID
    status: IpStatus
    valid_today: bool = Field(description="Registered, and today within its validity.")
    suspension_reason: str | None = Field(description="`core_data` while `suspended`.")
    granted_on: date
    valid_until: date
    holder: Party
    product: Party
    data_name: str
    domain: str
    evidence_digest: str
    licences_in_force: list[LicenceOut]
    pledges_in_force: list[PledgeOut] = Field(
        description="Confirmed pledges only: one applied for is no pledge yet."
    )
    history: list[StepOut]
