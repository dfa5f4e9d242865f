"""Queries on the data-asset register, and on the evidence its cost items rest on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID

from sqlalchemy import ColumnElement, exists, false, func, or_, select, text, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.assessments.models import Assessment
from app.assets.models import (
    DataAsset,
    DataAssetCostItem,
    DataAssetMovement,
    DataAssetPeriodClose,
    DataAssetRestatement,
)
from app.audit.models import AuditEvent
from app.core.clock import SHANGHAI
from app.core.principal import Principal
from app.core.roles import Role
from app.ip.models import IpPledge, IpRegistration
from app.trades.confirmation import confirmed_clause, counts_clause, undone_clause
from app.trades.models import Trade


def visible_to(who: Principal) -> ColumnElement[bool]:
    """The one rule of who sees which asset: operators and auditors all of them, a merchant's
    key its merchant's own, nobody else any (an asset is a company's books: assessors and the
    public see none). A hidden asset is 404, as if it did not exist."""
    if who.role in (Role.operator, Role.auditor):
        return true()
    if who.role is Role.merchant and who.merchant_id is not None:
        return DataAsset.merchant_id == who.merchant_id
    return false()


async def add(session: AsyncSession, *rows: object) -> None:
    session.add_all(rows)
    await session.flush()


async def get_visible(
    session: AsyncSession, asset_id: UUID, who: Principal, for_update: bool = False
) -> DataAsset | None:
    query = select(DataAsset).where(DataAsset.id == asset_id, visible_to(who))
    if for_update:
        # Every change to an asset (a cost item, a movement, a PATCH) takes this lock first,
        # so they happen one after the other, each seeing all that came before.
        query = query.with_for_update()
    return (
        await session.execute(query.execution_options(populate_existing=True))
    ).scalar_one_or_none()


@dataclass(frozen=True)
class AssetFilter:
    merchant_id: UUID | None = None
    asset_class: str | None = None
    status: str | None = None
    product_id: UUID | None = None


async def list_page(
    session: AsyncSession, who: Principal, where: AssetFilter, after: UUID | None, limit: int
) -> list[DataAsset]:
    query = select(DataAsset).where(visible_to(who)).order_by(DataAsset.id).limit(limit + 1)
    if where.merchant_id:
        query = query.where(DataAsset.merchant_id == where.merchant_id)
    if where.asset_class:
        query = query.where(DataAsset.asset_class == where.asset_class)
    if where.status:
        query = query.where(DataAsset.status == where.status)
    if where.product_id:
        query = query.where(DataAsset.product_id == where.product_id)
    if after:
        query = query.where(DataAsset.id > after)
    return list((await session.execute(query)).scalars())


async def of_merchant(session: AsyncSession, merchant_id: UUID) -> list[DataAsset]:
    query = select(DataAsset).where(DataAsset.merchant_id == merchant_id).order_by(DataAsset.id)
    return list((await session.execute(query)).scalars())


async def cost_items(
    session: AsyncSession, asset_ids: list[UUID]
) -> dict[UUID, list[DataAssetCostItem]]:
    """Each asset's cost items in the order recorded, in one query for many assets."""
    found: dict[UUID, list[DataAssetCostItem]] = {a: [] for a in asset_ids}
    if asset_ids:
        query = (
            select(DataAssetCostItem)
            .where(DataAssetCostItem.asset_id.in_(asset_ids))
            .order_by(DataAssetCostItem.asset_id, DataAssetCostItem.id)
        )
        for item in (await session.execute(query)).scalars():
            found[item.asset_id].append(item)
    return found


async def movements(
    session: AsyncSession, asset_ids: list[UUID]
) -> dict[UUID, list[DataAssetMovement]]:
    """Each asset's movements in the order taken, in one query for many assets."""
    found: dict[UUID, list[DataAssetMovement]] = {a: [] for a in asset_ids}
    if asset_ids:
        query = (
            select(DataAssetMovement)
            .where(DataAssetMovement.asset_id.in_(asset_ids))
            .order_by(DataAssetMovement.asset_id, DataAssetMovement.sequence)
        )
        for movement in (await session.execute(query)).scalars():
            found[movement.asset_id].append(movement)
    return found


async def rests_on_assessment(session: AsyncSession, asset_id: UUID) -> bool:
    query = select(
        exists().where(
            DataAssetCostItem.asset_id == asset_id, DataAssetCostItem.assessment_id.is_not(None)
        )
    )
    return bool(await session.scalar(query))


# --- Evidence ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TradeFacts:
    buyer_merchant_id: UUID
    amount: Decimal
    confirmed: bool
    counts: bool  # confirmed and, if large, by an operator (app/trades/confirmation.py)
    undone: bool  # cancelled or refunded
    used: Decimal  # what cost items already rest on it


async def lock_trade_evidence(
    session: AsyncSession, trade_id: UUID, large_amount: Decimal
) -> TradeFacts | None:
    """The trade's facts, with a transaction lock on its use as evidence: two cost items
    resting on one trade (of any assets) are checked one after the other, so together they
    never exceed its amount. (The trade row itself is never locked: it is append-only.)"""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"data_asset_evidence:{trade_id}"},
    )
    used = (
        select(func.coalesce(func.sum(DataAssetCostItem.amount), 0))
        .where(DataAssetCostItem.trade_id == Trade.id)
        .scalar_subquery()
    )
    query = select(
        Trade.buyer_merchant_id,
        Trade.amount,
        confirmed_clause().label("confirmed"),
        counts_clause(large_amount).label("counts"),
        undone_clause().label("undone"),
        used.label("used"),
    ).where(Trade.id == trade_id)
    row = (await session.execute(query)).one_or_none()
    if row is None:
        return None
    return TradeFacts(
        row.buyer_merchant_id, row.amount, row.confirmed, row.counts, row.undone, row.used
    )


async def assessment(session: AsyncSession, assessment_id: UUID) -> Assessment | None:
    return await session.get(Assessment, assessment_id)


async def registration_by_certificate(session: AsyncSession, number: str) -> IpRegistration | None:
    query = select(IpRegistration).where(IpRegistration.certificate_number == number)
    return (await session.execute(query)).scalar_one_or_none()


# --- Restricted assets ------------------------------------------------------------------------


async def linked_certificates(
    session: AsyncSession, merchant_id: UUID, assets: list[DataAsset]
) -> dict[UUID, list[str]]:
    """The IP certificates the merchant holds that each asset is linked to: those its cost
    items name, and the certificate of its product."""
    linked: dict[UUID, set[str]] = {a.id: set() for a in assets}
    if not assets:
        return {}
    named = select(DataAssetCostItem.asset_id, DataAssetCostItem.certificate_number).where(
        DataAssetCostItem.asset_id.in_(list(linked)),
        DataAssetCostItem.certificate_number.is_not(None),
    )
    for asset_id, number in (await session.execute(named)).all():
        linked[asset_id].add(str(number))
    by_product: dict[UUID, list[UUID]] = {}
    for a in assets:
        if a.product_id is not None:
            by_product.setdefault(a.product_id, []).append(a.id)
    if by_product:
        certified = select(IpRegistration.product_id, IpRegistration.certificate_number).where(
            IpRegistration.product_id.in_(list(by_product)),
            IpRegistration.holder_merchant_id == merchant_id,
            IpRegistration.certificate_number.is_not(None),
        )
        for product_id, number in (await session.execute(certified)).all():
            for asset_id in by_product[product_id]:
                linked[asset_id].add(str(number))
    held = select(IpRegistration.certificate_number).where(
        IpRegistration.certificate_number.in_({n for ns in linked.values() for n in ns}),
        IpRegistration.holder_merchant_id == merchant_id,
    )
    holding = set((await session.execute(held)).scalars())
    return {a: sorted(ns & holding) for a, ns in linked.items() if ns & holding}


async def pledges_in_force(
    session: AsyncSession, numbers: list[str], day: date
) -> dict[str, list[IpPledge]]:
    """The pledges of each certificate in force at the end of `day` (Asia/Shanghai): begun,
    not past their term, confirmed by then (an applied pledge restricts nothing) and not
    released by then."""
    if not numbers:
        return {}
    day_over = datetime.combine(day + timedelta(days=1), time(), SHANGHAI)
    query = (
        select(IpRegistration.certificate_number, IpPledge)
        .join(IpPledge, IpPledge.registration_id == IpRegistration.id)
        .where(
            IpRegistration.certificate_number.in_(numbers),
            IpPledge.starts_on <= day,
            IpPledge.ends_on >= day,
            IpPledge.confirmed_at < day_over,
            or_(IpPledge.released_at.is_(None), IpPledge.released_at >= day_over),
        )
        .order_by(IpPledge.starts_on, IpPledge.id)
    )
    found: dict[str, list[IpPledge]] = {}
    for number, pledge in (await session.execute(query)).all():
        found.setdefault(str(number), []).append(pledge)
    return found


# --- Periods and restatements -----------------------------------------------------------------


async def lock_books(session: AsyncSession, merchant_id: UUID, *, exclusive: bool) -> None:
    """A transaction lock on a merchant's books: every entry (cost item, movement,
    restatement) takes it shared, a close exclusive. A close therefore waits for the entries
    under way and the entries after it wait for its commit, then see it: nothing lands in a
    month as it closes, and the close's report covers exactly the leaves before its own."""
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    await session.execute(
        text(f"SELECT {function}(hashtextextended(:key, 0))"),
        {"key": f"data_asset_books:{merchant_id}"},
    )


async def closes(session: AsyncSession, merchant_id: UUID) -> list[DataAssetPeriodClose]:
    query = (
        select(DataAssetPeriodClose)
        .where(DataAssetPeriodClose.merchant_id == merchant_id)
        .order_by(DataAssetPeriodClose.through)
    )
    return list((await session.execute(query)).scalars())


async def closed_through(session: AsyncSession, merchant_id: UUID) -> date | None:
    query = select(func.max(DataAssetPeriodClose.through)).where(
        DataAssetPeriodClose.merchant_id == merchant_id
    )
    found: date | None = await session.scalar(query)
    return found


async def restatements(
    session: AsyncSession,
    *,
    merchant_id: UUID | None = None,
    asset_id: UUID | None = None,
    state: str | None = None,
) -> list[DataAssetRestatement]:
    query = select(DataAssetRestatement).order_by(
        DataAssetRestatement.created_at, DataAssetRestatement.id
    )
    if merchant_id is not None:
        query = query.where(DataAssetRestatement.merchant_id == merchant_id)
    if asset_id is not None:
        query = query.where(DataAssetRestatement.asset_id == asset_id)
    if state is not None:
        query = query.where(DataAssetRestatement.state == state)
    return list((await session.execute(query)).scalars())


async def get_restatement(
    session: AsyncSession, restatement_id: UUID, who: Principal, for_update: bool = False
) -> DataAssetRestatement | None:
    query = (
        select(DataAssetRestatement)
        .join(DataAsset, DataAsset.id == DataAssetRestatement.asset_id)
        .where(DataAssetRestatement.id == restatement_id, visible_to(who))
    )
    if for_update:
        query = query.with_for_update(of=DataAssetRestatement)
    return (
        await session.execute(query.execution_options(populate_existing=True))
    ).scalar_one_or_none()


async def lock_invoice(
    session: AsyncSession, merchant_id: UUID, number: str
) -> list[DataAssetCostItem]:
    """The merchant's cost items already resting on invoice `number`, with a transaction lock
    on the invoice's use: two items citing it are checked one after the other."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"data_asset_invoice:{merchant_id}:{number}"},
    )
    query = select(DataAssetCostItem).where(
        DataAssetCostItem.merchant_id == merchant_id, DataAssetCostItem.invoice_number == number
    )
    return list((await session.execute(query)).scalars())


async def trade_day(session: AsyncSession, trade_id: UUID) -> date | None:
    """The Asia/Shanghai day a trade occurred."""
    moment = await session.scalar(select(Trade.occurred_at).where(Trade.id == trade_id))
    return None if moment is None else moment.astimezone(SHANGHAI).date()


async def renames_after(
    session: AsyncSession, asset_ids: list[UUID], moment: datetime
) -> list[tuple[str, dict[str, list[str | None]]]]:
    """The changes of the assets' names and descriptions recorded after `moment`, newest
    first: `(asset id, {field: [old, new]})` from the audit trail (`data_asset.update`)."""
    if not asset_ids:
        return []
    query = (
        select(AuditEvent.resource_id, AuditEvent.details)
        .where(
            AuditEvent.action == "data_asset.update",
            AuditEvent.resource_type == "data_asset",
            AuditEvent.resource_id.in_([str(a) for a in asset_ids]),
            AuditEvent.created_at > moment,
        )
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    )
    return [(str(r), dict(d)) for r, d in (await session.execute(query)).all()]
