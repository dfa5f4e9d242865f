"""The journal's reads and the merchant's chart of accounts (DOMAIN.md "Books a CPA signs →
Journal"): who sees a merchant's vouchers, which records they come from, on which chart.

Decisions where the contract is silent:
- Who: as the disclosure: the merchant's own key, operators and auditors read; another
  merchant is 404 (its books are not said to exist), assessors and anonymous callers 403/401.
  The chart is changed by the merchant's key or an operator (auditors read it), audited as
  `data_asset.accounts` with the mapping before and after.
- `PUT` replaces the whole mapping (codes left out return to their defaults); it changes no
  money, so it is safe to retry as it is. Two merchants may use the same codes: a chart is
  the merchant's own.
- A journal spans at most 120 months (`to` − `from`), else 422: a decade of vouchers answers
  in one response.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.assets import engine, journal, repository
from app.assets.engine import AssetClass, Phase, Source
from app.assets.models import DataAsset, DataAssetAccount, DataAssetCostItem, DataAssetMovement
from app.assets.service import MERCHANT, _engine_movement
from app.audit import service as audit
from app.core.clock import shanghai_today
from app.core.db import utcnow
from app.core.errors import NotFound, ValidationFailed
from app.core.i18n import Text
from app.core.principal import Principal
from app.core.roles import Role
from app.merchants import repository as merchants
from app.merchants.models import Merchant

MAX_MONTHS = 120


def _reads(who: Principal, merchant_id: UUID) -> bool:
    return who.role in (Role.operator, Role.auditor) or (
        who.role is Role.merchant and who.merchant_id == merchant_id
    )


async def _visible_merchant(session: AsyncSession, who: Principal, merchant_id: UUID) -> None:
    """404 unless the caller may read the merchant's books and the merchant exists."""
    if not _reads(who, merchant_id) or await merchants.get(session, merchant_id) is None:
        raise NotFound.of(MERCHANT, merchant_id)


# --- The chart --------------------------------------------------------------------------------


async def chart(session: AsyncSession, merchant_id: UUID) -> dict[str, journal.ChartAccount]:
    rows = await session.execute(
        select(DataAssetAccount).where(DataAssetAccount.merchant_id == merchant_id)
    )
    return {r.default_code: journal.ChartAccount(r.code, r.name) for r in rows.scalars()}


def accounts_out(mapped: dict[str, journal.ChartAccount]) -> list[dict[str, Any]]:
    return [
        {
            "default_code": code,
            "default_name": name,
            "code": mapped[code].code if code in mapped else code,
            "name": mapped[code].name if code in mapped else name,
            "mapped": code in mapped,
        }
        for code, name in sorted(journal.DEFAULT_CHART.items())
    ]


async def get_accounts(
    session: AsyncSession, who: Principal, merchant_id: UUID
) -> dict[str, journal.ChartAccount]:
    await _visible_merchant(session, who, merchant_id)
    return await chart(session, merchant_id)


async def put_accounts(
    session: AsyncSession,
    who: Principal,
    merchant_id: UUID,
    wanted: dict[str, journal.ChartAccount],
) -> dict[str, journal.ChartAccount]:
    """Replace the merchant's mapping by `wanted` (validated: known default codes only)."""
    if not (
        who.role is Role.operator or (who.role is Role.merchant and who.merchant_id == merchant_id)
    ):
        raise NotFound.of(MERCHANT, merchant_id)
    # The merchant's row lock orders concurrent changes of its chart.
    locked = await session.execute(
        select(Merchant.id).where(Merchant.id == merchant_id).with_for_update()
    )
    if locked.scalar_one_or_none() is None:
        raise NotFound.of(MERCHANT, merchant_id)
    before = await chart(session, merchant_id)
    if before == wanted:
        return before
    await session.execute(
        delete(DataAssetAccount).where(DataAssetAccount.merchant_id == merchant_id)
    )
    now = utcnow()
    for default_code, account in sorted(wanted.items()):
        session.add(
            DataAssetAccount(
                merchant_id=merchant_id,
                default_code=default_code,
                code=account.code,
                name=account.name,
                updated_at=now,
            )
        )
    await session.flush()
    await audit.record(
        session,
        who,
        "data_asset.accounts",
        "merchant",
        merchant_id,
        {
            "before": {k: [v.code, v.name] for k, v in sorted(before.items())},
            "after": {k: [v.code, v.name] for k, v in sorted(wanted.items())},
        },
    )
    return wanted


# --- The journal ------------------------------------------------------------------------------


@dataclass(frozen=True)
class JournalData:
    merchant_id: UUID
    first: engine.Month
    last: engine.Month
    vouchers: list[journal.Voucher]
    chart: dict[str, journal.ChartAccount]


def _item(row: DataAssetCostItem) -> journal.ItemRecord:
    return journal.ItemRecord(
        id=row.id,
        kind=row.kind,
        amount=row.amount,
        incurred_on=row.incurred_on,
        phase=Phase(row.phase) if row.phase else None,
        leaf_index=row.leaf_index,
        vat_deductible=bool(row.vat_deductible),  # 进项税额: not part of the cost
    )


def _movement(row: DataAssetMovement) -> journal.MovementRecord:
    return journal.MovementRecord(row.id, _engine_movement(row), row.details, row.leaf_index)


async def vouchers(
    session: AsyncSession, who: Principal, merchant_id: UUID, first_text: str, last_text: str
) -> JournalData:
    await _visible_merchant(session, who, merchant_id)
    first, last = engine.parse_month(first_text), engine.parse_month(last_text)
    if first > last:
        raise ValidationFailed.field(
            ["query", "to"], Text("must not be before `from`", "不能早于 `from`")
        )
    if last - first + 1 > MAX_MONTHS:
        raise ValidationFailed.field(
            ["query", "to"],
            Text(
                f"a journal spans at most {MAX_MONTHS} months",
                f"凭证查询期间最长 {MAX_MONTHS} 个月",
            ),
        )
    assets = await repository.of_merchant(session, merchant_id)
    ids = [a.id for a in assets]
    items = await repository.cost_items(session, ids)
    moves = await repository.movements(session, ids)
    records = [
        journal.AssetRecord(
            id=a.id,
            name=a.name,
            asset_class=AssetClass(a.asset_class),
            source=Source(a.source),
            created_at=a.created_at,
            items=[_item(i) for i in items[a.id]],
            movements=[_movement(m) for m in moves[a.id]],
        )
        for a in assets
    ]
    closes = [
        journal.CloseRecord(
            engine.month_of(c.through), c.leaf_index, await _names_at(session, assets, c.closed_at)
        )
        for c in await repository.closes(session, merchant_id)
    ]
    restatements = [
        journal.RestatementRecord(
            id=r.id,
            asset_id=r.asset_id,
            record_id=r.record_id,
            period=engine.month_of(r.period),
            leaf_index=r.leaf_index,
            recorded_on=shanghai_today(r.decided_at),
        )
        for r in await repository.restatements(session, merchant_id=merchant_id, state="applied")
        if r.record_id is not None and r.leaf_index is not None and r.decided_at is not None
    ]
    found = journal.journal(records, first, last, closes, restatements)
    return JournalData(merchant_id, first, last, found, await chart(session, merchant_id))


async def _names_at(
    session: AsyncSession, assets: list[DataAsset], moment: datetime
) -> dict[UUID, str]:
    """Each asset's name at `moment` (a close's): renames after it undone, newest first."""
    names = {str(a.id): a.name for a in assets}
    for asset_id, changes in await repository.renames_after(
        session, [a.id for a in assets], moment
    ):
        old = changes.get("name", [None])[0]
        if old is not None:
            names[asset_id] = old
    return {UUID(k): v for k, v in names.items()}


def totals(data: JournalData) -> tuple[Decimal, Decimal]:
    lines = [x for v in data.vouchers for x in v.lines]
    return sum((x.debit for x in lines), engine.ZERO), sum((x.credit for x in lines), engine.ZERO)
