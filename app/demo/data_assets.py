"""Demo books (数据资产入表) for two merchants: a year of purchases from each other (recorded
trades, confirmed, in the OTC log), a development project with research expensed, monthly
amortisation, an impairment, inventory sold in part and written down, so that the disclosure
of FY2025 (and of the current year) shows real tables. One asset rests on the demo's pledged
IP certificate, so it shows as restricted while the pledge is in force. Both merchants have
closed FY2025 (issue 28: data assets with a closed year); every purchase rests on a trade or
an invoice, the taxes say their VAT is not deductible, and the developed asset's
capitalisation states the five conditions of CAS 6 第九条.

Everything goes through the register's service, as an operator would key it in; the trades
are recorded as `POST /v1/transactions` records them (app/trades/recorder.py `record_one`)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.assets import periods
from app.assets import service as assets
from app.assets.engine import MovementType
from app.assets.models import DataAsset
from app.assets.schemas import CostItemCreate, DataAssetCreate
from app.core.clock import SHANGHAI
from app.core.db import driver
from app.core.principal import Principal
from app.ip.models import IpPledge, IpRegistration
from app.ip.states import PledgeStatus
from app.merchants.models import Merchant
from app.trades import recorder
from app.trades.schemas import TradeCreate

# Why the credit-risk model's development was capitalised (CAS 6 第九条).
MEMO = {
    "technical_feasibility": "特征工程与模型训练已在样本数据上验证,技术上可完成",
    "intention": "管理层已批准用于授信审批系统,意图完成并使用",
    "economic_benefits": "降低小微企业授信坏账率,预计带来经济利益流入",
    "resources": "数据团队与算力预算已落实,足以完成开发",
    "reliable_measurement": "开发阶段人工与算力支出按项目单独归集,能够可靠计量",
}
CLOSED_THROUGH = "2025-12"


async def _trade(
    session: AsyncSession,
    who: Principal,
    large_amount: Decimal,
    seller: UUID,
    buyer: UUID,
    amount: str,
    day: date,
    term: str,
) -> UUID:
    """An off-venue trade an operator records (so confirmed), a leaf of the OTC log: recorded
    as `POST /v1/transactions` records it, under an Idempotency-Key of the demo's."""
    data = TradeCreate(
        venue_code="OTC",
        on_venue=False,
        seller_merchant_id=seller,
        buyer_merchant_id=buyer,
        amount=amount,
        term=term,
        contract_digest=hashlib.sha256(
            f"demo contract {seller} {buyer} {day}".encode()
        ).hexdigest(),
        occurred_at=datetime.combine(day, time(10), SHANGHAI),
    )
    key = f"shushang-demo/OTC/{seller}/{buyer}/{day.isoformat()}"
    trade_id, _ = await recorder.record_one(
        await driver(session), who, data, key, large_amount=large_amount
    )
    return trade_id


async def _asset(
    large_amount: Decimal,
    session: AsyncSession,
    who: Principal,
    merchant_id: UUID,
    fields: dict[str, Any],
    items: list[dict[str, Any]],
    movements: list[tuple[MovementType, dict[str, Any]]],
) -> None:
    asset = await assets.create(
        session, who, DataAssetCreate.model_validate({**fields, "merchant_id": str(merchant_id)})
    )
    for item in items:
        await assets.add_cost(
            session, who, asset.id, CostItemCreate.model_validate(item), None, large_amount
        )
    for kind, body in movements:
        await assets.move(session, who, asset.id, kind, body, None)


async def load(
    session: AsyncSession, who: Principal, merchants: list[Merchant], large_amount: Decimal
) -> int:
    """The demo books, once (nothing is added when any data asset exists). `large_amount`:
    SHUSHANG_LARGE_TRADE_AMOUNT, as the cost items' trade evidence is checked against it."""
    if await session.scalar(select(func.count()).select_from(DataAsset)) or len(merchants) < 2:
        return 0
    # The holder of the demo's pledged certificate keeps the first set of books.
    pledged = (
        await session.execute(
            select(IpRegistration.holder_merchant_id, IpRegistration.certificate_number)
            .join(IpPledge, IpPledge.registration_id == IpRegistration.id)
            .where(
                IpPledge.status == PledgeStatus.in_force.value,
                IpRegistration.certificate_number.is_not(None),
            )
            .limit(1)
        )
    ).first()
    first = pledged[0] if pledged else merchants[0].id
    second = next(m.id for m in merchants if m.id != first)
    capitalise, dispose, impair = MovementType.capitalise, MovementType.dispose, MovementType.impair
    write_down, derecognise = MovementType.write_down, MovementType.derecognise

    bought = await _trade(
        session, who, large_amount, second, first, "120000.00", date(2025, 2, 18), "永久使用"
    )
    await _asset(
        large_amount,
        session, who, first,
        {"name": "长三角港口集装箱吞吐量数据集", "asset_class": "intangible",
         "source": "purchased", "description": "外购港口日度吞吐量数据,清洗后用于航运指数研究"},
        [
            {"kind": "purchase_price", "amount": "120000.00", "incurred_on": "2025-02-18",
             "trade_id": str(bought)},
            {"kind": "taxes", "amount": "7200.00", "incurred_on": "2025-02-18",
             "vat_deductible": False, "description": "不可抵扣的相关税费"},
            {"kind": "processing", "amount": "12000.00", "incurred_on": "2025-03-01",
             "description": "清洗、去重与标注"},
            {"kind": "quality_assessment", "amount": "3000.00", "incurred_on": "2025-03-05"},
        ],
        [(capitalise, {"date": date(2025, 3, 15), "useful_life_months": 60,
                       "indefinite": False, "residual_value": "0"})],
    )  # fmt: skip
    await _asset(
        large_amount,
        session, who, first,
        {"name": "企业信用风险评分模型训练集", "asset_class": "intangible",
         "source": "developed", "description": "自行开发的小微企业信用风险特征与标签数据"},
        [
            {"kind": "labour", "amount": "20000.00", "incurred_on": "2025-02-14",
             "phase": "research", "description": "可行性研究"},
            {"kind": "labour", "amount": "50000.00", "incurred_on": "2025-04-10",
             "phase": "development"},
            {"kind": "compute", "amount": "30000.00", "incurred_on": "2025-06-20",
             "phase": "development"},
        ],
        [
            (capitalise, {"date": date(2025, 6, 30), "useful_life_months": 36,
                          "indefinite": False, "residual_value": "0", "memo": MEMO}),
            # A competing public dataset cut its value at the end of November.
            (impair, {"date": date(2025, 11, 30), "recoverable_amount": "50000.00"}),
        ],
    )  # fmt: skip
    certificate_items = []
    if pledged is not None:
        certificate_items = [
            {"kind": "registration_settlement", "amount": "2000.00", "incurred_on": "2025-04-20",
             "certificate_number": pledged[1], "description": "数据知识产权登记费"},
        ]  # fmt: skip
    await _asset(
        large_amount,
        session, who, first,
        {"name": "城市交通出行 OD 数据包", "asset_class": "inventory", "source": "processed",
         "description": "自行采集加工、以备出售的出行起讫点数据"},
        [{"kind": "processing", "amount": "30000.00", "incurred_on": "2025-05-20"},
         *certificate_items],
        [
            (capitalise, {"date": date(2025, 7, 1), "indefinite": False, "residual_value": "0"}),
            (dispose, {"date": date(2025, 9, 15), "fraction": "0.4"}),
            (write_down, {"date": date(2025, 12, 31), "net_realisable_value": "15000.00",
                          "nrv_basis": "近三个月同类数据包成交均价减估计销售费用"}),
        ],
    )  # fmt: skip

    sold = await _trade(
        session, who, large_amount, first, second, "60000.00", date(2025, 4, 8), "三年"
    )
    stock = await _trade(
        session, who, large_amount, first, second, "24000.00", date(2025, 8, 12), "转售授权"
    )
    await _asset(
        large_amount,
        session, who, second,
        {"name": "宁波舟山港船舶动态数据集", "asset_class": "intangible", "source": "purchased"},
        [
            {"kind": "purchase_price", "amount": "60000.00", "incurred_on": "2025-04-08",
             "trade_id": str(sold)},
            {"kind": "rights_verification", "amount": "5000.00", "incurred_on": "2025-04-20"},
        ],
        [(capitalise, {"date": date(2025, 5, 1), "useful_life_months": 36,
                       "indefinite": False, "residual_value": "0"})],
    )  # fmt: skip
    await _asset(
        large_amount,
        session, who, second,
        {"name": "出行数据转售包", "asset_class": "inventory", "source": "purchased"},
        [{"kind": "purchase_price", "amount": "24000.00", "incurred_on": "2025-08-12",
          "trade_id": str(stock)}],
        [
            (capitalise, {"date": date(2025, 8, 20), "indefinite": False, "residual_value": "0"}),
            (dispose, {"date": date(2025, 10, 10), "fraction": "0.5"}),
        ],
    )  # fmt: skip
    await _asset(
        large_amount,
        session, who, second,
        {"name": "公共数据授权运营气象数据", "asset_class": "intangible", "source": "other",
         "description": "授权运营取得,使用寿命不确定"},
        [{"kind": "other", "amount": "10000.00", "incurred_on": "2025-01-08"}],
        [
            (capitalise, {"date": date(2025, 1, 10), "indefinite": True,
                          "residual_value": "0",
                          "indefinite_basis": "授权运营协议未约定期限,气象数据持续更新,"
                          "无法预见其带来经济利益的期限"}),
            (impair, {"date": date(2025, 12, 31), "recoverable_amount": "8000.00"}),
        ],
    )  # fmt: skip
    await _asset(
        large_amount,
        session, who, second,
        {"name": "已失效的渠道画像数据", "asset_class": "intangible", "source": "purchased"},
        [{"kind": "purchase_price", "amount": "12000.00", "incurred_on": "2025-01-15",
          "invoice": {"number": "33012500000115", "issued_on": "2025-01-15",
                      "amount": "12000.00"}}],
        [
            (capitalise, {"date": date(2025, 1, 20), "useful_life_months": 24,
                          "indefinite": False, "residual_value": "0"}),
            (derecognise, {"date": date(2025, 8, 5), "reason": "授权期满,数据失效"}),
        ],
    )  # fmt: skip
    # FY2025 is closed for both: its figures are as reported, with the close's leaf.
    for merchant_id in (first, second):
        await periods.close(session, who, merchant_id, CLOSED_THROUGH)
    return 7
