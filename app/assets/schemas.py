"""Data assets, their cost items, movements, schedule and disclosure as the API carries them.
Money is a decimal string both ways (`app/core/money.py`); fractions are decimal strings too."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from app.assets.engine import AssetClass, Phase, Source, Status
from app.core.money import Amount, PositiveAmount, SignedAmount, cents
from app.core.text import Name

# An amount the service computed: always two places, as a string.
Money = Annotated[
    Decimal,
    PlainSerializer(cents, return_type=str),
    WithJsonSchema(
        {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$", "examples": ["142200.00"]}
    ),
]
Fraction = Annotated[
    str,
    Field(
        pattern=r"^(0(\.[0-9]{1,6})?|1(\.0{1,6})?)$",
        description="A share of what remains, 0 < fraction ≤ 1, as a decimal string.",
        examples=["0.25"],
    ),
]
CertificateNumber = Annotated[
    str, Field(pattern=r"^[0-9]{17}$", description="A 17-digit IP certificate number.")
]
Description = Annotated[str, Field(min_length=1, max_length=4000)]
Reason = Annotated[str, Field(min_length=1, max_length=2000)]


class CostKind(StrEnum):
    purchase_price = "purchase_price"  # 购买价款
    taxes = "taxes"  # 相关税费
    processing = "processing"  # 脱敏、清洗、标注、整合、分析、可视化
    rights_verification = "rights_verification"  # 数据权属鉴证
    quality_assessment = "quality_assessment"  # 质量评估
    registration_settlement = "registration_settlement"  # 登记结算
    security = "security"  # 安全管理
    labour = "labour"
    compute = "compute"
    other = "other"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataAssetCreate(_Strict):
    name: Name
    asset_class: AssetClass = Field(
        description="`intangible` (企业使用的数据资源) or `inventory` (日常持有以备出售)."
    )
    source: Source = Field(
        description="`purchased`, `developed` (intangible) or `processed` (inventory), `other`."
    )
    product_id: UUID | None = Field(default=None, description="A product of the same merchant.")
    merchant_id: UUID | None = Field(
        default=None, description="Whose asset (operators only; a merchant's key: its own)."
    )
    description: Description | None = None
    development_started_on: dt.date | None = Field(
        default=None,
        description="A developed asset: the day its development phase began (else the date "
        "of its first development item); no research item may be dated on or after it.",
    )


class DataAssetChange(_Strict):
    """The fields to change. `asset_class` and `source` never change; `product_id` only while
    no cost item rests on an assessment of the product."""

    name: Name | None = None
    description: Description | None = None
    product_id: UUID | None = None


class Invoice(_Strict):
    """An invoice (发票) as evidence: every item resting on it names the same date and
    amount, and together they stay within the amount."""

    number: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z-]+$")]
    issued_on: dt.date
    amount: PositiveAmount


class CostItemCreate(_Strict):
    kind: CostKind
    amount: PositiveAmount
    incurred_on: dt.date
    phase: Phase | None = Field(
        default=None,
        description="Developed assets only: `research` (expensed) or `development` (开发支出).",
    )
    description: Annotated[str | None, Field(max_length=500)] = None
    trade_id: UUID | None = Field(
        default=None,
        description="Evidence: a confirmed trade the asset's merchant bought; all the items "
        "resting on one trade together may not exceed its amount.",
    )
    assessment_id: UUID | None = Field(
        default=None, description="Evidence: an independent assessment of the asset's product."
    )
    certificate_number: CertificateNumber | None = Field(
        default=None, description="Evidence: a data IP certificate the merchant holds."
    )
    invoice: Invoice | None = Field(
        default=None,
        description="Evidence: an invoice `{number, issued_on, amount}`; the item is dated on "
        "or after it, and the items on it together stay within its amount.",
    )
    vat_deductible: bool | None = Field(
        default=None,
        description="`taxes` only, and required there: true → deductible input VAT (进项税额, "
        "recorded for the journal, not capitalised); false → part of the cost.",
    )


class CapitalisationMemo(_Strict):
    """Why development is capitalised: the five conditions of CAS 6 第九条, each stated."""

    technical_feasibility: Annotated[str, Field(min_length=1, max_length=2000, pattern=r"\S")]
    intention: Annotated[str, Field(min_length=1, max_length=2000, pattern=r"\S")]
    economic_benefits: Annotated[str, Field(min_length=1, max_length=2000, pattern=r"\S")]
    resources: Annotated[str, Field(min_length=1, max_length=2000, pattern=r"\S")]
    reliable_measurement: Annotated[str, Field(min_length=1, max_length=2000, pattern=r"\S")]


class Capitalise(_Strict):
    date: dt.date
    useful_life_months: Annotated[int | None, Field(ge=1, le=1200)] = Field(
        default=None, description="Intangible with a finite life: straight line over it."
    )
    indefinite: bool = Field(
        default=False, description="Intangible of indefinite life: not amortised (CAS 6)."
    )
    residual_value: Amount = "0"
    costing: Literal["units", "fraction"] | None = Field(
        default=None,
        description="Inventory: how sales release its cost. `units` with `quantity` and "
        "`unit` (sold by `quantity`: released cost = round_half_up(remaining cost × q / "
        "remaining quantity, 2)), or `fraction` with a `basis` text. Left out: fraction, "
        "undisclosed (as before it was asked).",
    )
    quantity: Annotated[int | None, Field(ge=1, le=10**12)] = Field(
        default=None, description="`units`: the quantity capitalised."
    )
    unit: Annotated[str | None, Field(min_length=1, max_length=32)] = Field(
        default=None, description="`units`: the unit (条, 次, GB, …)."
    )
    basis: Reason | None = Field(
        default=None, description="`fraction`: how the fraction sold is measured."
    )
    indefinite_basis: Reason | None = Field(
        default=None,
        description="With `indefinite: true`, required: why the useful life cannot be "
        "foreseen (CAS 6 第十七条; disclosed under `notes.indefinite_life`).",
    )
    memo: CapitalisationMemo | None = Field(
        default=None,
        description="A developed asset: required, the five conditions of CAS 6 第九条 "
        "(`technical_feasibility`, `intention`, `economic_benefits`, `resources`, "
        "`reliable_measurement`), each non-empty.",
    )


class Dispose(_Strict):
    date: dt.date
    fraction: Fraction = Field(
        default="1", description="Inventory: the share of what remains sold; intangible: 1."
    )
    quantity: Annotated[int | None, Field(ge=1, le=10**12)] = Field(
        default=None,
        description="Inventory costed in `units`: the quantity sold (instead of `fraction`).",
    )
    proceeds: Amount | None = Field(
        default=None,
        description="What the buyer owes (RMB, without VAT): inventory's revenue (主营业务收入); "
        "an intangible's 资产处置收益 is proceeds less the carrying amount. Left out: 0.00 "
        "(a disposal for nothing, as before this field existed).",
    )


class Revise(_Strict):
    """会计估计变更 of an intangible: prospective from the month after `date`."""

    date: dt.date
    useful_life_months: Annotated[int | None, Field(ge=1, le=1200)] = Field(
        default=None,
        description="The new useful life in months from capitalisation (as `capitalise` "
        "takes it); from the month after `date`, R = it less the months used through "
        "that month.",
    )
    indefinite: bool = Field(
        default=False, description="The life is now indefinite: not amortised from then on."
    )
    residual_value: Amount = "0"
    reason: Reason = Field(description="Why the estimate changed (disclosed).")
    indefinite_basis: Reason | None = Field(
        default=None,
        description="With `indefinite: true`, required: why the life cannot be foreseen "
        "(CAS 6 第十七条).",
    )


class Reclassify(_Strict):
    """重分类 between inventory and intangible at the carrying amount, provisions with it."""

    date: dt.date
    to: AssetClass = Field(description="The new class: `inventory` or `intangible`.")
    reason: Reason = Field(description="Why the asset's use changed (disclosed).")
    useful_life_months: Annotated[int | None, Field(ge=1, le=1200)] = Field(
        default=None,
        description="To intangible: the useful life in months from the month after `date` "
        "(B = carrying amount − residual value); or `indefinite: true`.",
    )
    indefinite: bool = Field(
        default=False, description="To intangible: an indefinite life, never amortised."
    )
    residual_value: Amount = Field(
        default="0", description="To intangible: the residual value, below the carrying amount."
    )
    indefinite_basis: Reason | None = Field(
        default=None,
        description="With `indefinite: true`, required: why the life cannot be foreseen "
        "(CAS 6 第十七条).",
    )


class Derecognise(_Strict):
    date: dt.date
    reason: Reason


class Impair(_Strict):
    date: dt.date
    recoverable_amount: Amount


class WriteDown(_Strict):
    date: dt.date
    net_realisable_value: Amount
    nrv_basis: Annotated[str, Field(min_length=1, max_length=2000, pattern=r"\S")] = Field(
        description="Required: how the net realisable value was determined (CAS 1 第二十二条; "
        "disclosed under `notes.nrv_basis`), for a reversal too: it rests on a new estimate."
    )


class CostItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    asset_class: AssetClass = Field(description="The asset's class, as recorded with the item.")
    source: Source = Field(description="The asset's source, as recorded with the item.")
    kind: str
    amount: Money
    incurred_on: dt.date
    phase: str | None
    capitalisable: bool = Field(description="False for research, which is expensed.")
    description: str | None
    trade_id: UUID | None
    assessment_id: UUID | None
    certificate_number: str | None
    invoice: Invoice | None = None
    vat_deductible: bool | None = None
    evidenced: bool = Field(description="Whether the item rests on any evidence.")
    restatement_id: UUID | None = None
    ledger: str = Field(default="FIN", description="The log holding this item.")
    leaf_index: int
    created_at: dt.datetime


class MovementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    sequence: int
    asset_class: AssetClass = Field(description="The asset's class, as recorded with it.")
    source: Source = Field(description="The asset's source, as recorded with it.")
    type: str
    date: dt.date = Field(validation_alias="occurred_on")
    from_status: str
    to_status: str
    details: dict[str, Any] = Field(description="The movement's inputs, as asked.")
    effects: dict[str, Any] = Field(description="The amounts it moved, decimal strings.")
    restatement_id: UUID | None = Field(
        default=None, description="The restatement that recorded it, in a closed month."
    )
    ledger: str = Field(default="FIN", description="The log holding this movement.")
    leaf_index: int
    created_at: dt.datetime


class DataAssetOut(BaseModel):
    id: UUID
    merchant_id: UUID
    product_id: UUID | None
    name: str
    description: str | None
    asset_class: AssetClass
    source: Source
    status: Status
    as_of: str = Field(description="The month end the amounts are at (the current month).")
    original_cost: Money = Field(description="Capitalised cost, or capitalisable costs so far.")
    cost: Money = Field(description="账面原值 on the books (inventory: what remains unsold).")
    accumulated_amortisation: Money
    impairment: Money
    write_down: Money
    carrying_amount: Money = Field(
        description="账面价值; before capitalisation, the capitalisable costs so far."
    )
    research_expense: Money
    capitalised_on: dt.date | None
    useful_life_months: int | None
    indefinite_life: bool
    residual_value: Money
    amortisation_method: str | None
    remaining_months: int | None
    ended_on: dt.date | None
    development_started_on: dt.date | None = None
    unevidenced_items: int = Field(default=0, description="Cost items resting on no evidence.")
    allowed_actions: list[str]
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class DataAssetDetail(DataAssetOut):
    cost_items: list[CostItemOut]
    movements: list[MovementOut]


class ScheduleRowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    month: str
    cost: Money
    amortisation: Money = Field(description="Charged in the month.")
    accumulated_amortisation: Money
    impairment: Money
    write_down: Money
    carrying_amount: Money


class ScheduleOut(BaseModel):
    asset_id: UUID
    through: str
    rows: list[ScheduleRowOut]


class IntangibleAdditions(BaseModel):
    purchase: Money
    internal_development: Money
    other: Money


class IntangibleReductions(BaseModel):
    disposal: Money
    derecognition: Money
    other: Money


class AmortisationReductions(BaseModel):
    disposal: Money
    derecognition: Money
    other: Money = Field(
        description="其他减少: amortisation leaving the table otherwise than by disposal or "
        "derecognition (a reclassification); zero while no movement posts it."
    )


class IntangibleCorrections(BaseModel):
    """前期差错更正: what restatements recorded after the previous month was reported changed
    in the opening balances (included in them)."""

    cost: Money
    amortisation: Money
    impairment: Money
    carrying: Money


class InventoryCorrections(BaseModel):
    cost: Money
    write_down: Money
    carrying: Money


class IntangibleColumnOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    cost_opening: Money
    cost_additions: IntangibleAdditions
    cost_reductions: IntangibleReductions
    cost_closing: Money
    amortisation_opening: Money
    amortisation_charge: Money
    amortisation_reductions: AmortisationReductions
    amortisation_closing: Money
    impairment_opening: Money
    impairment_additions: Money
    impairment_reductions: Money
    impairment_closing: Money
    carrying_opening: Money
    carrying_closing: Money
    prior_period_corrections: IntangibleCorrections


class InventoryAdditions(BaseModel):
    purchase: Money
    processing: Money
    other: Money


class InventoryReductions(BaseModel):
    sale: Money
    derecognition: Money
    other: Money


class WriteDownReductions(BaseModel):
    reversal: Money
    release: Money
    other: Money = Field(
        default=Decimal("0.00"),
        description="其他减少: the provision leaving with a reclassification to intangible "
        "(it becomes 无形资产减值准备).",
    )


class InventoryColumnOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    cost_opening: Money
    cost_additions: InventoryAdditions
    cost_reductions: InventoryReductions
    cost_closing: Money
    write_down_opening: Money
    write_down_additions: Money
    write_down_reductions: WriteDownReductions
    write_down_closing: Money
    carrying_opening: Money
    carrying_closing: Money
    prior_period_corrections: InventoryCorrections
    work_in_progress_closing: Money = Field(
        description="其中：在产品: the part of cost_closing still gathering costs (not yet "
        "capitalised) at the period end; the rest is 库存商品."
    )


class IntangibleTable(BaseModel):
    purchased: IntangibleColumnOut
    developed: IntangibleColumnOut
    other: IntangibleColumnOut
    total: IntangibleColumnOut


class InventoryTable(BaseModel):
    purchased: InventoryColumnOut
    processed: InventoryColumnOut
    other: InventoryColumnOut
    total: InventoryColumnOut


class BalanceSheet(BaseModel):
    inventory: Money = Field(description="存货 其中：数据资源, at the period end.")
    intangible_assets: Money = Field(description="无形资产 其中：数据资源.")
    development_expenditure: Money = Field(description="开发支出 其中：数据资源.")


class AssetLife(BaseModel):
    """An asset on the books in the period (inventory and a purchased or other intangible
    from its first cost item: DOMAIN.md "Work in progress"), or a development project in
    开发支出 at its end: its status, useful life and amortisation method as they stood at the
    period end."""

    asset_id: UUID
    name: str
    asset_class: AssetClass
    source: Source
    status: Status
    capitalised_on: dt.date | None
    useful_life_months: int | None
    indefinite_life: bool
    amortisation_method: str | None = Field(description="`straight_line`, or null.")
    residual_value: Money


class SignificantAsset(BaseModel):
    asset_id: UUID
    name: str
    description: str | None = Field(description="The asset's content.")
    carrying_amount: Money
    remaining_months: int | None = Field(description="Null for an indefinite life.")


class PledgeInForce(BaseModel):
    pledge_id: UUID
    pledgee_name: str
    secured_amount: Money
    starts_on: dt.date
    ends_on: dt.date


class RestrictedAsset(BaseModel):
    asset_id: UUID
    name: str
    asset_class: AssetClass
    certificate_number: str
    pledges: list[PledgeInForce]
    carrying_amount: Money = Field(description="At the period end.")
    amortisation_charge: Money = Field(description="Amortisation of the period.")


class Basis(StrEnum):
    as_reported = "as_reported"  # entries recorded before the close of the period's last month
    restated = "restated"  # all entries, restatements included


class RestatedEffect(BaseModel):
    """What a restatement changed in this disclosure, line by line (with it less without)."""

    cost: Money = Field(description="账面原值 at the period end.")
    accumulated_amortisation: Money
    impairment: Money
    write_down: Money
    carrying_amount: Money = Field(description="At the period end.")
    carrying_opening: Money = Field(description="At the end of the month before the period.")
    amortisation_charge: Money = Field(description="Charged in the period.")
    research_expense: Money = Field(description="Expensed in the period.")
    development_expenditure: Money = Field(description="开发支出 at the period end.")


class DisclosedRestatement(BaseModel):
    restatement_id: UUID
    asset_id: UUID
    asset_name: str
    period: str = Field(description="The closed month restated, `YYYY-MM`.")
    reason: str
    type: str = Field(description="The entry's type: cost_item, cost_adjustment or a movement.")
    leaf_index: int | None = Field(description="The restatement's leaf in the `FIN` log.")
    effect: RestatedEffect


class EstimatesOut(BaseModel):
    useful_life_months: int | None
    indefinite_life: bool
    residual_value: Money


class EstimateChangeOut(BaseModel):
    """A `revise` dated in the period (会计估计变更, CAS 28 第八条, prospective)."""

    asset_id: UUID
    name: str
    date: dt.date
    old: EstimatesOut
    new: EstimatesOut
    reason: str
    carrying_amount: Money = Field(description="At the end of the month of `date`.")
    remaining_months: int | None = Field(
        description="R, the months left from the month after `date` (null: indefinite)."
    )


class InventoryCostingNote(BaseModel):
    asset_id: UUID
    name: str
    costing: str = Field(description="`units` or `fraction` (also when none was stated).")
    quantity: int | None
    remaining_quantity: int | None = Field(description="`units`: left at the period end.")
    unit: str | None
    basis: str | None


class NrvNote(BaseModel):
    asset_id: UUID
    name: str
    date: dt.date
    movement: str
    net_realisable_value: Money
    basis: str | None


class IndefiniteLifeNote(BaseModel):
    asset_id: UUID
    name: str
    basis: str | None = Field(description="Why the useful life cannot be foreseen.")


class Notes(BaseModel):
    inventory_costing: list[InventoryCostingNote] = Field(
        description="Each inventory asset on the books in the period: its costing method."
    )
    nrv_basis: list[NrvNote] = Field(
        description="Write-downs and their reversals in the period, with the NRV's basis."
    )
    indefinite_life: list[IndefiniteLifeNote] = Field(
        description="Intangibles of indefinite life at the period end, with the basis."
    )


class ImpairmentTestMissing(BaseModel):
    asset_id: UUID
    name: str
    reason: str = Field(description="`indefinite_life` or `development`.")


class UnevidencedItems(BaseModel):
    count: int
    amount: Money


class Disclosure(BaseModel):
    """The disclosure of 财会〔2023〕11号 for the months `from` … `to`."""

    model_config = ConfigDict(populate_by_name=True)

    merchant_id: UUID
    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    basis: Basis = Field(
        description="`as_reported`: the entries recorded before the close of `to` (default "
        "when `to` is closed); `restated`: all entries."
    )
    closed: bool = Field(description="Whether the merchant has closed the month `to`.")
    report_sha256: str = Field(
        description="SHA-256 (hex) of this document as RFC 8785 canonical JSON without this "
        "key; for the as-reported fiscal year January … a close's `through`, the close's "
        "`report_sha256`."
    )
    unevidenced_items: UnevidencedItems = Field(
        description="Cost items of the assets shown, dated by the period end, that rest on no "
        "evidence (allowed for kinds other than the purchase price)."
    )
    restatements: list[DisclosedRestatement] = Field(
        description="Applied restatements that touch the period (dated in it, or dated "
        "before it and recorded after the month before it was reported)."
    )
    intangible: IntangibleTable
    inventory: InventoryTable
    balance_sheet: BalanceSheet
    research_expense: Money = Field(
        description="Research expensed in the period, development projects terminated "
        "(derecognised before capitalisation) included."
    )
    research_expense_terminated: Money = Field(
        description="其中：终止开发项目转出: the development costs, less their impairment, of "
        "projects derecognised in the period."
    )
    revenue: Money = Field(
        description="主营业务收入: the proceeds of data-resource inventory sold in the period."
    )
    cost_of_sales: Money = Field(
        description="主营业务成本: the cost released by those sales less the provision released "
        "with it (转销)."
    )
    disposal_gain: Money = Field(
        description="资产处置收益: proceeds less carrying amount of the intangibles disposed of "
        "in the period (negative: a loss)."
    )
    assets: list[AssetLife]
    significant: list[SignificantAsset] = Field(
        description="Intangibles whose carrying amount is at least 10 % of all of them."
    )
    restricted: list[RestrictedAsset] = Field(
        description="Assets with a linked IP certificate pledged at the period end."
    )
    notes: Notes
    impairment_tests_missing: list[ImpairmentTestMissing] = Field(
        description="Intangibles of indefinite life and development projects at the period "
        "end with no impairment test (`impair`, a charge or none) dated from January of "
        "its year to its end (CAS 8 第六条)."
    )
    estimate_changes: list[EstimateChangeOut] = Field(
        description="Changes of useful life or residual value (`revise`) dated in the period."
    )


# --- Periods and restatements -------------------------------------------------------------

Month = Annotated[
    str,
    Field(
        pattern=r"^(199[0-9]|20[0-9]{2}|2100)-(0[1-9]|1[0-2])$",
        description="A calendar month, `YYYY-MM` (Asia/Shanghai).",
        examples=["2025-12"],
    ),
]


class PeriodCloseCreate(_Strict):
    through: Month = Field(
        description="Close every month up to this one (a past month, after the last closed)."
    )


class PeriodCloseOut(BaseModel):
    id: UUID
    merchant_id: UUID
    through: str
    closed_at: dt.datetime
    report_sha256: str = Field(
        description="SHA-256 of the as-reported disclosure of the fiscal year of `through`, "
        "January to `through` (RFC 8785 canonical JSON, without its `report_sha256` key)."
    )
    ledger: str = Field(default="FIN", description="The log holding the close.")
    leaf_index: int


class RestatementCreate(_Strict):
    period: Month = Field(description="The closed month restated.")
    reason: Reason
    entry: dict[str, Any] = Field(
        description="`{type, date, …}`: `type` is `cost_item` (a cost item's fields, `date` "
        "for `incurred_on`), `cost_adjustment` (`amount`, signed, not zero) or a movement "
        "(`capitalise`, `dispose`, `derecognise`, `impair`, `write-down`, "
        "`reverse-write-down`) with that movement's fields; `date` lies in `period`."
    )


class RestatementDecision(_Strict):
    reason: Reason | None = None


class CostAdjustment(_Strict):
    date: dt.date
    amount: SignedAmount = Field(description="Signed, not zero: the correction of the cost.")


class RestatementOut(BaseModel):
    id: UUID
    asset_id: UUID
    merchant_id: UUID
    period: str
    reason: str
    entry: dict[str, Any]
    state: str = Field(
        description="`pending` (a merchant's, awaiting an operator), `applied` or `rejected`."
    )
    requested_by_role: str
    decided_at: dt.datetime | None
    decision_reason: str | None
    record_type: str | None = Field(description="`cost_item` or `movement`, once applied.")
    record_id: UUID | None
    ledger: str = "FIN"
    leaf_index: int | None
    created_at: dt.datetime
    version: int
