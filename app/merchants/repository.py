"""Queries on merchants and their certifications."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Literal
from uuid import UUID

from sqlalchemy import Select, and_, bindparam, exists, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.sql import Subquery

from app.core.compiled import Compiled, Row, columns_of
from app.core.provided import Provided
from app.merchants.models import Certification, Merchant


@dataclass(frozen=True)
class MerchantFilter:
    region_prefix: str | None = None
    tier: str | None = None
    category: str | None = None
    third_party_role: str | None = None
    dcmm_min: int | None = None
    q: str | None = None
    # Whose descriptions `q` searches (the description is private): every merchant's (`ALL`,
    # for operators and auditors), one merchant's (its own key), or none (anyone else).
    descriptions_of: UUID | Literal["all"] | None = None
    today: date | None = None


ALL: Literal["all"] = "all"


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(where: MerchantFilter) -> Select[Merchant]:
    query = select(Merchant).options(selectinload(Merchant.certifications))
    if where.region_prefix:
        query = query.where(Merchant.region_code.startswith(where.region_prefix, autoescape=True))
    if where.tier:
        query = query.where(Merchant.tier == where.tier)
    if where.category:
        query = query.where(Merchant.categories.contains([where.category]))
    if where.third_party_role:
        query = query.where(Merchant.third_party_roles.contains([where.third_party_role]))
    if where.dcmm_min is not None:
        query = query.where(
            exists().where(
                Certification.merchant_id == Merchant.id,
                Certification.scheme == "DCMM",
                Certification.level >= where.dcmm_min,
                Certification.valid_until >= (where.today or func.current_date()),
            )
        )
    if where.q:
        pattern = f"%{_escape_like(where.q)}%"
        searched = [Merchant.name.ilike(pattern, escape="\\"), Merchant.uscc == where.q.upper()]
        described = Merchant.description.ilike(pattern, escape="\\")
        if where.descriptions_of == ALL:
            searched.append(described)
        elif where.descriptions_of is not None:
            searched.append(and_(Merchant.id == where.descriptions_of, described))
        query = query.where(or_(*searched))
    return query


async def list_page(
    session: AsyncSession, where: MerchantFilter, after: UUID | None, limit: int
) -> list[Merchant]:
    query = _filtered(where).order_by(Merchant.id).limit(limit + 1)
    if after is not None:
        query = query.where(Merchant.id > after)
    return list((await session.execute(query)).scalars())


async def get(session: AsyncSession, merchant_id: UUID) -> Merchant | None:
    query = (
        select(Merchant)
        .options(selectinload(Merchant.certifications))
        .where(Merchant.id == merchant_id)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def shown(session: AsyncSession, merchant_id: UUID) -> Row | None:
    """What a read of one merchant shows, in one statement: the merchant's columns, its
    certifications (`certifications`, a list of objects, oldest first) and how many of its
    products are listed now (`listed_product_count`). A read-only row (app/core/compiled.py)."""
    return await _shown().fetch_one(session, merchant_id=merchant_id)


_CERTIFICATE = func.jsonb_build_object(
    *(
        part
        for name in ("scheme", "level", "valid_until", "issued_on", "certificate_number")
        for part in [literal_column(f"'{name}'"), getattr(Certification, name)]
    )
)  # the fields of CertificationOut that are columns
# Which products are listed where: a fact of `listings`, which sits above this domain and
# provides it (app/listings/repository.py `listed`, connected by app/wiring.py).
LISTED: Provided[Callable[[], Subquery]] = Provided("the listed products of merchants")


@cache
def _shown() -> Compiled:
    """One merchant as shown, compiled on first use (once `LISTED` is provided)."""
    listed = LISTED.get()
    return Compiled(
        select(
            *columns_of(Merchant),
            select(
                func.coalesce(
                    func.jsonb_agg(aggregate_order_by(_CERTIFICATE, Certification.id)),
                    literal_column("'[]'::jsonb", JSONB),
                )
            )
            .where(Certification.merchant_id == Merchant.id)
            .scalar_subquery()
            .label("certifications"),
            select(func.count(func.distinct(listed.c.product_id)))
            .where(listed.c.merchant_id == Merchant.id)
            .scalar_subquery()
            .label("listed_product_count"),
        ).where(Merchant.id == bindparam("merchant_id"))
    )


async def name_of(session: AsyncSession, merchant_id: UUID) -> str | None:
    return await session.scalar(select(Merchant.name).where(Merchant.id == merchant_id))


async def many(session: AsyncSession, merchant_ids: Collection[UUID]) -> dict[UUID, Merchant]:
    """The merchants of `merchant_ids` (without their certifications), by id."""
    if not merchant_ids:
        return {}
    rows = await session.scalars(select(Merchant).where(Merchant.id.in_(list(merchant_ids))))
    return {m.id: m for m in rows}


async def uscc_taken(session: AsyncSession, uscc: str, other_than: UUID | None = None) -> bool:
    query = select(Merchant.id).where(Merchant.uscc == uscc)
    if other_than is not None:
        query = query.where(Merchant.id != other_than)
    return (await session.execute(query.limit(1))).first() is not None


async def add(session: AsyncSession, merchant: Merchant) -> Merchant:
    session.add(merchant)
    await session.flush()
    return merchant


async def is_registered(session: AsyncSession, merchant_id: UUID) -> bool:
    query = select(Merchant.id).where(Merchant.id == merchant_id)
    return (await session.execute(query)).first() is not None


async def listed_product_counts(session: AsyncSession, merchant_ids: list[UUID]) -> dict[UUID, int]:
    """How many products of each merchant are listed (on any venue) now."""
    if not merchant_ids:
        return {}
    listed = LISTED.get()
    query = (
        select(listed.c.merchant_id, func.count(func.distinct(listed.c.product_id)))
        .where(listed.c.merchant_id.in_(merchant_ids))
        .group_by(listed.c.merchant_id)
    )
    return dict((await session.execute(query)).all())
