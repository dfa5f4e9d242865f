"""Venue rules: codes are unique; a new venue starts with the default negative list."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.auth.principal import Principal
from app.errors import Duplicate, NotFound
from app.i18n import Text
from app.venues import repository
from app.venues.models import Venue
from app.venues.negative_list import default_negative_list
from app.venues.schemas import VenueCreate

VENUE = Text("venue", "交易场所")


async def get(session: AsyncSession, code: str) -> Venue:
    venue = await repository.get(session, code)
    if venue is None:
        raise NotFound.of(VENUE, code)
    return venue


async def create(session: AsyncSession, who: Principal, data: VenueCreate) -> Venue:
    if await repository.get(session, data.code) is not None:
        raise Duplicate(
            Text(f"Venue {data.code} already exists.", f"交易场所 {data.code} 已存在。")
        )
    rules = (
        [rule.model_dump() for rule in data.negative_list]
        if data.negative_list is not None
        else default_negative_list()
    )
    venue = await repository.add(
        session,
        Venue(
            code=data.code,
            name=data.name,
            name_en=data.name_en,
            region_code=data.region_code,
            fee_rate=Decimal(data.fee_rate),
            negative_list=rules,
        ),
    )
    await audit.record(session, who, "venue.create", "venue", venue.code, {"name": venue.name})
    return venue
