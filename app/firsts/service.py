"""A merchant's firsts (首…): milestones derived from its records, never typed in
(DOMAIN.md, "Firsts, programmes and fees").

Each first is the earliest qualifying record by time then id, read from the records as they
stand now: nothing is stored, so a first follows its records' state (a first trade cancelled
or refunded stops qualifying and the next one becomes the first). One set-based query per
kind, for one merchant or all of them (`DISTINCT ON (merchant_id)` over the kind's records).

- `registered` (数商首注册): the merchant itself, at its creation.
- `ip_registered` (首登记): the data IP registration first granted to it as holder, at the
  `grant` step; leaf: that step in `IPR`.
- `listed` (首挂牌): its listing that first reached `listed`, at that listing event.
- `traded` (首交易): its first on-venue trade, as seller or buyer, confirmed and settled,
  neither cancelled nor refunded, at the trade's `occurred_at`; leaf: the trade in its
  venue's log.
- `valued` (首评估): the first valuation of one of its products by an assessor.
- `capitalised` (首入表): its data asset first capitalised, by the `capitalise`
  movement's accounting date, then its recording; leaf: the movement in `FIN`.
- `certified` (首认证): its first certification added while in force, at its addition.

`date` is the first's day in Asia/Shanghai (for `capitalised`, the movement's own
accounting date). Programmes and the policy dashboard read firsts through this module.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date as SqlDate
from sqlalchemy import Select, and_, cast, exists, func, literal, not_, or_, select, union_all
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from app.assessments.models import Assessment
from app.assets.entries import FIN_LOG
from app.assets.models import DataAssetMovement
from app.core.clock import SHANGHAI
from app.core.errors import NotFound
from app.core.i18n import Text
from app.core.principal import Principal
from app.core.roles import Role
from app.ip.models import IpStep
from app.ip.states import Action, IpStatus
from app.ledger.models import REGISTRY_LOG, LedgerHead
from app.listings.models import Listing, ListingEvent
from app.listings.states import ListingStatus
from app.merchants.models import Certification, Merchant
from app.products.models import Product
from app.trades.confirmation import confirmed_clause, undone_clause
from app.trades.models import Trade, TradeEvent

MERCHANT = Text("merchant", "数商")

KINDS: tuple[str, ...] = (
    "registered",
    "ip_registered",
    "listed",
    "traded",
    "valued",
    "capitalised",
    "certified",
)

# Chinese labels, as the policy names them.
LABELS_ZH: dict[str, str] = {
    "registered": "数商首注册",
    "ip_registered": "首登记",
    "listed": "首挂牌",
    "traded": "首交易",
    "valued": "首评估",
    "capitalised": "首入表",
    "certified": "首认证",
}

LABELS_EN: dict[str, str] = {
    "registered": "first registration as a merchant",
    "ip_registered": "first data IP registration granted",
    "listed": "first listing",
    "traded": "first on-venue trade",
    "valued": "first valuation by an assessor",
    "capitalised": "first data asset capitalised",
    "certified": "first certification",
}

# Anyone may read these; the rest only the merchant itself, operators and auditors.
PUBLIC_KINDS: frozenset[str] = frozenset({"registered", "ip_registered", "listed", "certified"})

# The `record.type` of each kind's record.
RECORD_TYPES: dict[str, str] = {
    "registered": "merchant",
    "ip_registered": "ip_registration",
    "listed": "listing",
    "traded": "trade",
    "valued": "assessment",
    "capitalised": "data_asset",
    "certified": "certification",
}


@dataclass(frozen=True)
class First:
    """One first of one merchant. `log` and `leaf_index` name the ledger leaf that proves it
    (None when the record is no leaf): the `grant` step's for `ip_registered`, the trade's
    for `traded`, the `capitalise` movement's for `capitalised`."""

    merchant_id: uuid.UUID
    kind: str
    at: datetime
    date: date
    record_type: str
    record_id: uuid.UUID | str
    log: str | None
    leaf_index: int | None

    @property
    def public(self) -> bool:
        return self.kind in PUBLIC_KINDS


# Each kind's candidates: (merchant_id, at, day, id, record_id, log, leaf_index), `day` NULL
# when it is the Shanghai date of `at`, `id` the tie-breaker of equal times.
def _row(*columns: Any) -> Select[Any]:
    """A candidate's columns, in the order `_first` reads them by name."""
    return select(*columns)


def _registered() -> Select[Any]:
    return _row(
        Merchant.id.label("merchant_id"),
        Merchant.created_at.label("at"),
        cast(None, SqlDate).label("day"),
        Merchant.id.label("tie"),
        Merchant.id.label("record_id"),
        literal(None).label("log"),
        literal(None).label("leaf_index"),
    )


def _ip_registered() -> Select[Any]:
    return _row(
        IpStep.holder_merchant_id.label("merchant_id"),
        IpStep.created_at.label("at"),
        cast(None, SqlDate).label("day"),
        IpStep.id.label("tie"),
        IpStep.registration_id.label("record_id"),
        literal(REGISTRY_LOG).label("log"),
        IpStep.leaf_index.label("leaf_index"),
    ).where(IpStep.action == Action.grant.value, IpStep.to_status == IpStatus.registered.value)


def _listed() -> Select[Any]:
    return (
        _row(
            Listing.merchant_id.label("merchant_id"),
            ListingEvent.created_at.label("at"),
            cast(None, SqlDate).label("day"),
            ListingEvent.id.label("tie"),
            Listing.id.label("record_id"),
            literal(None).label("log"),
            literal(None).label("leaf_index"),
        )
        .join(Listing, Listing.id == ListingEvent.listing_id)
        .where(ListingEvent.to_status == ListingStatus.listed.value)
    )


def _traded() -> Select[Any]:
    qualifying = and_(
        Trade.on_venue,
        confirmed_clause(),
        not_(undone_clause()),
        exists().where(TradeEvent.trade_id == Trade.id, TradeEvent.type == "settled"),
    )
    parties = union_all(
        select(Trade.id.label("trade_id"), Trade.seller_merchant_id.label("merchant_id")).where(
            qualifying
        ),
        select(Trade.id.label("trade_id"), Trade.buyer_merchant_id.label("merchant_id")).where(
            qualifying
        ),
    ).subquery("parties")
    return _row(
        parties.c.merchant_id.label("merchant_id"),
        Trade.occurred_at.label("at"),
        cast(None, SqlDate).label("day"),
        Trade.id.label("tie"),
        Trade.id.label("record_id"),
        Trade.venue_code.label("log"),
        Trade.leaf_index.label("leaf_index"),
    ).join(Trade, Trade.id == parties.c.trade_id)


def _valued() -> Select[Any]:
    return (
        _row(
            Product.merchant_id.label("merchant_id"),
            Assessment.created_at.label("at"),
            cast(None, SqlDate).label("day"),
            Assessment.id.label("tie"),
            Assessment.id.label("record_id"),
            literal(None).label("log"),
            literal(None).label("leaf_index"),
        )
        .join(Product, Product.id == Assessment.product_id)
        .where(
            Assessment.kind == "valuation",
            Assessment.actor_role == Role.assessor.value,
            not_(Assessment.self_check),
        )
    )


def _capitalised() -> Select[Any]:
    return _row(
        DataAssetMovement.merchant_id.label("merchant_id"),
        DataAssetMovement.created_at.label("at"),
        DataAssetMovement.occurred_on.label("day"),
        DataAssetMovement.id.label("tie"),
        DataAssetMovement.asset_id.label("record_id"),
        literal(FIN_LOG).label("log"),
        DataAssetMovement.leaf_index.label("leaf_index"),
    ).where(DataAssetMovement.type == "capitalise")


def _certified() -> Select[Any]:
    added_on = cast(func.timezone("Asia/Shanghai", Certification.created_at), SqlDate)
    return _row(
        Certification.merchant_id.label("merchant_id"),
        Certification.created_at.label("at"),
        cast(None, SqlDate).label("day"),
        Certification.id.label("tie"),
        Certification.id.label("record_id"),
        literal(None).label("log"),
        literal(None).label("leaf_index"),
    ).where(
        Certification.valid_until >= added_on,
        or_(Certification.issued_on.is_(None), Certification.issued_on <= added_on),
    )


_CANDIDATES = {
    "registered": _registered,
    "ip_registered": _ip_registered,
    "listed": _listed,
    "traded": _traded,
    "valued": _valued,
    "capitalised": _capitalised,
    "certified": _certified,
}


def _earliest(
    kind: str, merchant_id: uuid.UUID | None, region_prefixes: Collection[str] | None
) -> Select[Any]:
    """The earliest candidate of `kind` per merchant, of one merchant or of the merchants in
    the regions (one query)."""
    candidates = _CANDIDATES[kind]().subquery(kind)
    query = select(candidates).ext(distinct_on(candidates.c.merchant_id))
    if merchant_id is not None:
        query = query.where(candidates.c.merchant_id == merchant_id)
    if region_prefixes is not None:
        prefixes = sorted(set(region_prefixes))
        query = query.where(
            exists().where(
                Merchant.id == candidates.c.merchant_id,
                or_(*(Merchant.region_code.startswith(p, autoescape=True) for p in prefixes))
                if prefixes
                else literal(False),
            )
        )
    # The day first: a capitalisation dated earlier is the first even if recorded later.
    order_day = func.coalesce(
        candidates.c.day, cast(func.timezone("Asia/Shanghai", candidates.c.at), SqlDate)
    )
    return query.order_by(candidates.c.merchant_id, order_day, candidates.c.at, candidates.c.tie)


def _first(kind: str, row: Any) -> First:
    at: datetime = row.at
    day: date = row.day if row.day is not None else at.astimezone(SHANGHAI).date()
    return First(
        merchant_id=row.merchant_id,
        kind=kind,
        at=at,
        date=day,
        record_type=RECORD_TYPES[kind],
        record_id=row.record_id,
        log=row.log,
        leaf_index=None if row.leaf_index is None else int(row.leaf_index),
    )


async def _firsts(
    session: AsyncSession,
    kinds: Collection[str] | None,
    merchant_id: uuid.UUID | None,
    region_prefixes: Collection[str] | None,
) -> list[First]:
    wanted = [k for k in KINDS if kinds is None or k in kinds]
    found: list[First] = []
    for kind in wanted:
        rows = await session.execute(_earliest(kind, merchant_id, region_prefixes))
        found.extend(_first(kind, row) for row in rows)
    order = {k: i for i, k in enumerate(KINDS)}
    found.sort(key=lambda f: (str(f.merchant_id), order[f.kind]))
    return found


async def merchant_firsts(session: AsyncSession, merchant_id: uuid.UUID) -> list[First]:
    """The merchant's firsts as its records stand, in the order of `KINDS` (a kind it has not
    reached is absent). Does not check that the merchant exists."""
    return await _firsts(session, None, merchant_id, None)


async def all_firsts(
    session: AsyncSession,
    *,
    kinds: Collection[str] | None = None,
    region_prefixes: Collection[str] | None = None,
) -> list[First]:
    """Every merchant's firsts (of `kinds`, all when None), of the merchants whose
    `region_code` starts with one of `region_prefixes` (all when None; none when empty),
    ordered by merchant id then kind. Every kind, whoever asks: a reader that shows them
    to others shows only `PUBLIC_KINDS` to the public, or aggregates."""
    return await _firsts(session, kinds, None, region_prefixes)


async def checkpoint_sizes(session: AsyncSession, logs: Collection[str]) -> dict[str, int]:
    """The current size of each log (its head): the checkpoint the log signs when asked
    (`GET /v1/ledgers/{log}/checkpoint`) has this size or more, so every leaf of a first can
    be proven against it (`shushang-audit`, `ledger.verify_leaf`)."""
    names = sorted(set(logs))
    if not names:
        return {}
    heads = await session.execute(
        select(LedgerHead.venue_code, LedgerHead.size).where(LedgerHead.venue_code.in_(names))
    )
    return {name: int(size) for name, size in heads.all()}


def may_read_all(who: Principal | None, merchant_id: uuid.UUID) -> bool:
    """Whether `who` reads every kind of the merchant's firsts: the merchant itself (its
    key), operators and auditors. Anyone else reads the public kinds only."""
    if who is None:
        return False
    return who.role in (Role.operator, Role.auditor) or who.owns_merchant(merchant_id)


async def shown(
    session: AsyncSession, who: Principal | None, merchant_id: uuid.UUID
) -> list[First]:
    """The merchant's firsts that `who` may read; 404 when there is no such merchant."""
    known = await session.scalar(select(Merchant.id).where(Merchant.id == merchant_id))
    if known is None:
        raise NotFound.of(MERCHANT, merchant_id)
    kinds = None if may_read_all(who, merchant_id) else PUBLIC_KINDS
    return await _firsts(session, kinds, merchant_id, None)
