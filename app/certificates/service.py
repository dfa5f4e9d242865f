"""What a printed certificate shows: the registry's certificate as of today, gathered from the
IP domain (`app/ip`), whose rules decide its status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import shanghai_today
from app.core.db import utcnow
from app.ip import service as ip
from app.ip.states import IpStatus
from app.merchants import repository as merchants
from app.products import repository as products


@dataclass(frozen=True)
class Certificate:
    number: str
    holder: str
    product: str
    data_name: str
    domain: str
    granted_on: date
    valid_until: date
    status: IpStatus
    valid_today: bool
    evidence_digest: str
    printed_at: datetime


async def certificate(session: AsyncSession, number: str) -> Certificate:
    """The certificate `number` as it stands today (404 if there is none)."""
    registration = await ip.certificate(session, number)
    holder = await merchants.get(session, registration.holder_merchant_id)
    product = await products.get(session, registration.product_id)
    assert holder is not None and product is not None and registration.granted_on is not None
    assert registration.valid_until is not None
    now = utcnow()
    today = shanghai_today(now)
    status = ip.effective_status(registration, today)
    return Certificate(
        number=number,
        holder=holder.name,
        product=product.name,
        data_name=registration.data_name,
        domain=registration.domain,
        granted_on=registration.granted_on,
        valid_until=registration.valid_until,
        status=status,
        valid_today=status is IpStatus.registered
        and registration.granted_on <= today <= registration.valid_until,
        evidence_digest=registration.evidence_digest,
        printed_at=now,
    )
