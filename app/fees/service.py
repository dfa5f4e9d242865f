"""Fee-waiver rules (减免撮合服务费, DOMAIN.md "Firsts, programmes and fees → Fees"): an
operator creates them per venue, anyone reads them, and the trades domain asks which
waiver a trade gets when it records it (`in_force`, `best`: app/trades/waivers.py).

A rule is never changed, but for `end`, which brings its last day forward: a correction is
a new rule. Nothing here changes a fee already recorded."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.core.db import Driver, utcnow
from app.core.errors import NotFound, ValidationFailed
from app.core.i18n import Text
from app.core.principal import Principal
from app.fees import repository
from app.fees.engine import Granted, Rule, Seller, WaiverKind, best, may_apply
from app.fees.models import FeeWaiver
from app.fees.schemas import FeeWaiverCreate, FeeWaiverEnd
from app.outbox import service as outbox
from app.venues import service as venues

__all__ = ["Granted", "Rule", "Seller", "WaiverKind", "best", "in_force", "may_apply"]

FEE_WAIVER = Text("fee waiver", "服务费减免规则")


def _invalid(field: str, en: str, zh: str) -> ValidationFailed:
    return ValidationFailed.field(["body", field], Text(en, zh))


def _checked(data: FeeWaiverCreate) -> None:
    """What one field alone cannot say: the window's order, and the fields of each kind."""
    if data.to < data.from_:
        raise _invalid("to", "is before `from`", "早于 `from`")
    if data.kind is WaiverKind.tier and data.tier is None:
        raise _invalid("tier", "is required for kind `tier`", "kind 为 `tier` 时必填")
    if data.kind is not WaiverKind.tier and data.tier is not None:
        raise _invalid("tier", "is for kind `tier` only", "仅 kind 为 `tier` 时填写")
    if data.kind is WaiverKind.region and data.region_codes is None:
        raise _invalid("region_codes", "is required for kind `region`", "kind 为 `region` 时必填")
    if data.kind is not WaiverKind.region and data.region_codes is not None:
        raise _invalid("region_codes", "is for kind `region` only", "仅 kind 为 `region` 时填写")


def _event_data(rule: FeeWaiver) -> dict[str, object]:
    return {
        "fee_waiver_id": str(rule.id),
        "venue_code": rule.venue_code,
        "kind": rule.kind,
        "percent": f"{rule.percent:.2f}",
        "from": rule.valid_from.isoformat(),
        "to": rule.valid_to.isoformat(),
        "cap_per_merchant": f"{rule.cap_per_merchant:.2f}",
    }


async def create(
    session: AsyncSession, who: Principal, venue_code: str, data: FeeWaiverCreate
) -> FeeWaiver:
    _checked(data)
    await venues.get(session, venue_code)  # 404 for no such venue
    rule = await repository.add(
        session,
        FeeWaiver(
            venue_code=venue_code,
            kind=data.kind.value,
            percent=Decimal(data.percent),
            valid_from=data.from_,
            valid_to=data.to,
            cap_per_merchant=Decimal(data.cap_per_merchant),
            tier=data.tier,
            region_codes=sorted(set(data.region_codes)) if data.region_codes else None,
            created_by_key_id=who.key_id,
            created_at=utcnow(),
        ),
    )
    details = _event_data(rule)
    if rule.tier is not None:
        details["tier"] = rule.tier
    if rule.region_codes is not None:
        details["region_codes"] = list(rule.region_codes)
    await audit.record(session, who, "fee_waiver.create", "fee_waiver", rule.id, details)
    await outbox.emit(session, "fee_waiver.created", "fee_waiver", rule.id, [], details)
    return rule


async def get(session: AsyncSession, venue_code: str, rule_id: UUID) -> FeeWaiver:
    rule = await repository.get(session, venue_code, rule_id)
    if rule is None:
        raise NotFound.of(FEE_WAIVER, rule_id)
    return rule


async def list_page(
    session: AsyncSession, venue_code: str, after: UUID | None, limit: int
) -> list[FeeWaiver]:
    await venues.get(session, venue_code)
    return await repository.list_page(session, venue_code, after, limit)


async def end(
    session: AsyncSession, who: Principal, venue_code: str, rule_id: UUID, data: FeeWaiverEnd
) -> FeeWaiver:
    """Bring the rule's last day forward to `data.to` (not after its last day, not before
    its first). Trades recorded under it keep their waiver; trades recorded from now on
    and dated after `to` get none from it. Ending again on the same day changes nothing."""
    rule = await repository.lock(session, venue_code, rule_id)
    if rule is None:
        raise NotFound.of(FEE_WAIVER, rule_id)
    if data.to > rule.valid_to:
        raise _invalid(
            "to",
            f"is after the rule's last day {rule.valid_to}: a rule is never extended "
            "(create a new one)",
            f"晚于规则的最后一天 {rule.valid_to}:规则不可延长(请新建规则)",
        )
    if data.to < rule.valid_from:
        raise _invalid(
            "to",
            f"is before the rule's first day {rule.valid_from}",
            f"早于规则的第一天 {rule.valid_from}",
        )
    if data.to == rule.valid_to and rule.ended_at is not None:
        return rule  # ended so already: a retry
    before = rule.valid_to
    rule.valid_to = data.to
    rule.ended_at = utcnow()
    await session.flush()
    details = {**_event_data(rule), "previous_to": before.isoformat()}
    await audit.record(session, who, "fee_waiver.end", "fee_waiver", rule.id, details)
    await outbox.emit(session, "fee_waiver.ended", "fee_waiver", rule.id, [], details)
    return rule


async def in_force(connection: Driver, venue_code: str, first: date, last: date) -> list[Rule]:
    """The venue's rules whose window meets `first` … `last`, oldest first (the recording
    path, on its driver connection)."""
    return await repository.in_force(connection, venue_code, first, last)
