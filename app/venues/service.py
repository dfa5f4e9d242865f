"""Venue rules: codes are unique; a new venue starts with the default negative list."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.core.db import utcnow
from app.core.errors import Duplicate, NotFound, ValidationFailed
from app.core.etags import check_if_match
from app.core.i18n import Text
from app.core.principal import Principal
from app.ledger import kinds
from app.venues import repository
from app.venues.models import NegativeListVersion, Venue
from app.venues.negative_list import default_negative_list
from app.venues.schemas import VenueCreate

VENUE = Text("venue", "交易场所")


async def get(session: AsyncSession, code: str) -> Venue:
    venue = await repository.get(session, code)
    if venue is None:
        raise NotFound.of(VENUE, code)
    return venue


async def create(session: AsyncSession, who: Principal, data: VenueCreate) -> Venue:
    if data.code in kinds.named_logs():
        raise ValidationFailed.field(
            ["body", "code"],
            Text(
                f"is reserved: {data.code} names a ledger of its own (e.g. the IP registry's)",
                f"为保留代码:{data.code} 是另一本账本的名称(如数据知识产权登记簿)",
            ),
        )
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
            negative_list_version=1,
        ),
    )
    await repository.add_negative_list(
        session,
        NegativeListVersion(
            venue_code=venue.code, version=1, rules=rules, created_by_key_id=who.key_id
        ),
    )
    await audit.record(session, who, "venue.create", "venue", venue.code, {"name": venue.name})
    return venue


async def replace_negative_list(
    session: AsyncSession,
    who: Principal,
    code: str,
    rules: list[dict[str, Any]],
    if_match: str | None,
) -> NegativeListVersion:
    """A new version of the venue's negative list; earlier versions stay as they were."""
    venue = await get(session, code)
    check_if_match(if_match, venue.version)
    version = venue.negative_list_version + 1
    venue.negative_list = rules
    venue.negative_list_version = version
    venue.updated_at = utcnow()
    entry = NegativeListVersion(
        venue_code=code, version=version, rules=rules, created_by_key_id=who.key_id
    )
    await repository.add_negative_list(session, entry)
    await audit.record(
        session,
        who,
        "venue.negative_list.replace",
        "venue",
        code,
        {"version": version, "rules": [r.get("code") for r in rules]},
    )
    return entry
