"""What a data asset's cost item and movement must rest on (DOMAIN.md "Data assets — 数据资产入表"):
the evidence of a cost item (a trade or an invoice, an assessment, a certificate), the dates
and amounts it may bear, the order of research and development, and the memo of CAS 6.

Decisions where the contract is silent:
- Evidence: the trade must count (app/trades/confirmation.py: confirmed and, above
  `SHUSHANG_LARGE_TRADE_AMOUNT` off venue, confirmed by an operator, so two colluding
  merchants cannot book a sham purchase), neither cancelled nor refunded, bought by the
  asset's merchant, and all the cost items resting on it, across
  the merchant's assets, may not together exceed its amount (one purchase is not capitalised
  twice). The assessment must be of the asset's product and independent (by an assessor or
  operator; a self-check proves no fee was paid). The certificate must be held by the
  merchant and in force: neither revoked, cancelled nor suspended (core data).
- Dates of cost items and movements lie between 1990-01-01 and tomorrow (Asia/Shanghai:
  app/core/clock.py `occurrence_days`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.assets import engine, repository
from app.assets.engine import MovementType, Phase, Source
from app.assets.models import DataAsset, DataAssetCostItem
from app.assets.schemas import CostItemCreate, CostKind
from app.core.clock import occurrence_days
from app.core.errors import ValidationFailed
from app.core.i18n import Text
from app.core.money import cents

# A certificate in one of these states backs no cost (a suspended one: its product is core).
_NOT_IN_FORCE = {"revoked": "撤销", "cancelled": "注销", "suspended": "中止"}


def check_day(loc: list[str | int], day: date) -> None:
    earliest, latest = occurrence_days()
    if not earliest <= day <= latest:
        raise ValidationFailed.field(
            loc,
            Text(
                f"must lie between {earliest} and {latest}",
                f"须在 {earliest} 至 {latest} 之间",
            ),
        )


def _evidence_refused(field: str, en: str, zh: str) -> ValidationFailed:
    return ValidationFailed.field(["body", field], Text(en, zh))


async def check_evidence(
    session: AsyncSession, asset: DataAsset, data: CostItemCreate, large_amount: Decimal
) -> None:
    """422 unless each piece of evidence given holds (see the module's docstring)."""
    amount = Decimal(data.amount)
    if data.kind is CostKind.purchase_price and data.trade_id is None and data.invoice is None:
        raise _evidence_refused(
            "invoice",
            "a purchase price rests on a trade the merchant bought (trade_id) or an invoice",
            "购买价款须以该数商作为买方的交易(trade_id)或发票为凭证",
        )
    if (data.kind is CostKind.taxes) != (data.vat_deductible is not None):
        raise _evidence_refused(
            "vat_deductible",
            "taxes say whether their VAT is deductible (true: 进项税额, not capitalised; false: "
            "capitalised); other kinds do not",
            "相关税费须注明增值税是否可抵扣(true:进项税额,不计入成本;false:计入成本);"
            "其他成本项目不填此项",
        )
    if data.invoice is not None:
        await _check_invoice(session, asset, data, amount)
    if data.trade_id is not None:
        trade = await repository.lock_trade_evidence(session, data.trade_id, large_amount)
        # One answer for "no such trade" and "not the merchant's purchase": nothing is said
        # about trades the merchant is not the buyer of.
        if trade is None or trade.buyer_merchant_id != asset.merchant_id:
            raise _evidence_refused(
                "trade_id",
                "names no trade that the asset's merchant bought",
                "不是该资产所属数商作为买方的交易",
            )
        if not trade.confirmed:
            raise _evidence_refused(
                "trade_id",
                "the trade is not confirmed by its counterparty yet",
                "该交易尚未经对方确认",
            )
        if not trade.counts:
            raise _evidence_refused(
                "trade_id",
                "a large off-venue trade backs a cost only once an operator has confirmed it",
                "大额场外交易须经运营方确认后方可作为成本凭证",
            )
        if trade.undone:
            raise _evidence_refused(
                "trade_id", "the trade was cancelled or refunded", "该交易已取消或退款"
            )
        traded_on = await repository.trade_day(session, data.trade_id)
        if traded_on is not None and data.incurred_on < traded_on:
            raise _evidence_refused(
                "incurred_on",
                f"is before the trade it rests on ({traded_on})",
                f"早于作为凭证的交易日期({traded_on})",
            )
        if trade.used + amount > trade.amount:
            raise _evidence_refused(
                "amount",
                f"exceeds what the trade can back: its amount is {cents(trade.amount)}, of "
                f"which {cents(trade.used)} already backs other cost items",
                f"超出该交易可支持的金额:交易金额 {cents(trade.amount)},"
                f"其中 {cents(trade.used)} 已用于其他成本项目",
            )
    if data.assessment_id is not None:
        assessment = await repository.assessment(session, data.assessment_id)
        if (
            assessment is None
            or asset.product_id is None
            or assessment.product_id != asset.product_id
        ):
            raise _evidence_refused(
                "assessment_id",
                "names no assessment of the asset's product (the asset must name its product)",
                "不是该资产所指数据产品的评估(资产须指明数据产品)",
            )
        if assessment.self_check:
            raise _evidence_refused(
                "assessment_id",
                "a merchant's self-check is no evidence of a fee: an assessor's or operator's "
                "assessment is",
                "数商自评不能作为费用凭证,须为评估机构或运营方的评估",
            )
    if data.certificate_number is not None:
        registration = await repository.registration_by_certificate(
            session, data.certificate_number
        )
        if registration is None or registration.holder_merchant_id != asset.merchant_id:
            raise _evidence_refused(
                "certificate_number",
                "names no IP certificate the asset's merchant holds",
                "不是该资产所属数商持有的数据知识产权登记证书",
            )
        if registration.status in _NOT_IN_FORCE:
            raise _evidence_refused(
                "certificate_number",
                f"the certificate is {registration.status}",
                f"该证书已{_NOT_IN_FORCE[registration.status]}",
            )


async def _check_invoice(
    session: AsyncSession, asset: DataAsset, data: CostItemCreate, amount: Decimal
) -> None:
    """An invoice of the merchant: dated no later than the item, the same date and amount
    on every item citing its number, and all of them together within its amount (checked
    under a lock on the number, so two racing items never exceed it)."""
    invoice = data.invoice
    assert invoice is not None
    check_day(["body", "invoice", "issued_on"], invoice.issued_on)
    if data.incurred_on < invoice.issued_on:
        raise _evidence_refused(
            "incurred_on",
            f"is before the invoice it rests on ({invoice.issued_on})",
            f"早于作为凭证的发票日期({invoice.issued_on})",
        )
    total = Decimal(invoice.amount)
    if amount > total:
        raise _evidence_refused(
            "amount",
            f"exceeds the invoice's amount {cents(total)}",
            f"超出发票金额 {cents(total)}",
        )
    others = await repository.lock_invoice(session, asset.merchant_id, invoice.number)
    for other in others:
        if other.invoice_issued_on != invoice.issued_on or other.invoice_amount != total:
            raise _evidence_refused(
                "invoice",
                f"invoice {invoice.number} was recorded as issued on {other.invoice_issued_on} "
                f"for {cents(other.invoice_amount or engine.ZERO)}",
                f"发票 {invoice.number} 已登记为 {other.invoice_issued_on} 开具、"
                f"金额 {cents(other.invoice_amount or engine.ZERO)}",
            )
    used = sum((o.amount for o in others), engine.ZERO)
    if used + amount > total:
        raise _evidence_refused(
            "amount",
            f"exceeds what the invoice can back: its amount is {cents(total)}, of which "
            f"{cents(used)} already backs other cost items",
            f"超出该发票可支持的金额:发票金额 {cents(total)},其中 {cents(used)} 已用于其他成本项目",
        )


def evidenced(item: DataAssetCostItem) -> bool:
    return any((item.trade_id, item.assessment_id, item.certificate_number, item.invoice_number))


def check_phase_order(asset: DataAsset, data: CostItemCreate, loc: tuple[str, ...]) -> None:
    """Research before development (CAS 6 第九条): nothing of research on or after the day
    development started, nothing of development before it."""
    started = asset.development_started_on
    if started is None or data.phase is None:
        return
    if data.phase is Phase.research and data.incurred_on >= started:
        raise ValidationFailed.field(
            [*loc, "incurred_on"],
            Text(
                f"research comes before development, which started on {started}",
                f"研究阶段须在开发阶段之前,开发阶段已于 {started} 开始",
            ),
        )
    if data.phase is Phase.development and data.incurred_on < started:
        raise ValidationFailed.field(
            [*loc, "incurred_on"],
            Text(
                f"is before development started ({started})",
                f"早于开发阶段开始日期({started})",
            ),
        )


def check_memo(
    asset: DataAsset, kind: MovementType, body: dict[str, Any], loc: tuple[str, ...]
) -> None:
    """A developed asset is capitalised with the five conditions of CAS 6 第九条 stated; an
    indefinite life (capitalised or revised to) with its basis."""
    to_indefinite = kind in (MovementType.capitalise, MovementType.revise) and body.get(
        "indefinite"
    )
    if to_indefinite and not str(body.get("indefinite_basis") or "").strip():
        raise ValidationFailed.field(
            [*loc, "indefinite_basis"],
            Text(
                "an indefinite useful life needs indefinite_basis: why it cannot be foreseen",
                "使用寿命不确定须说明依据(indefinite_basis)",
            ),
        )
    developed = asset.source == Source.developed.value
    if kind is MovementType.capitalise and developed and body.get("memo") is None:
        raise ValidationFailed.field(
            [*loc, "memo"],
            Text(
                "capitalising development needs a memo of the five conditions of CAS 6 "
                "第九条: technical_feasibility, intention, economic_benefits, resources, "
                "reliable_measurement",
                "开发支出资本化须提供《企业会计准则第6号》第九条五项条件的说明:"
                "technical_feasibility、intention、economic_benefits、resources、"
                "reliable_measurement",
            ),
        )
    if (
        kind is MovementType.reclassify
        and body.get("indefinite")
        and not body.get("indefinite_basis")
    ):
        raise ValidationFailed.field(
            [*loc, "indefinite_basis"],
            Text(
                "an indefinite useful life needs indefinite_basis: why it cannot be foreseen",
                "使用寿命不确定须说明依据(indefinite_basis)",
            ),
        )
