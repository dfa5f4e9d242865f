"""A registration's effective status, the one home of the rule: `registered` reads as
`expired` from the day after `valid_until` (Asia/Shanghai dates), before the hourly sweep
(`renewal.expire_due`) has recorded the `expire` step. Python for a registration already
loaded, SQL for the `status` filter of lists, so a list never shows under `registered` a
registration it labels `expired`."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, or_

from app.ip.models import IpRegistration
from app.ip.states import IpStatus


def effective_status(status: str, valid_until: date | None, today: date) -> IpStatus:
    """Python: the status a registration stored as `status` shows on `today`."""
    if status == IpStatus.registered and valid_until is not None and valid_until < today:
        return IpStatus.expired
    return IpStatus(status)


def status_is(status: IpStatus, today: date) -> ColumnElement[bool]:
    """SQL: the `ip_registration` row of the query shows `status` on `today`."""
    stored = IpRegistration.status
    lapsed = and_(stored == IpStatus.registered.value, IpRegistration.valid_until < today)
    if status is IpStatus.expired:
        return or_(stored == IpStatus.expired.value, lapsed)
    if status is IpStatus.registered:
        return and_(
            stored == IpStatus.registered.value,
            or_(IpRegistration.valid_until.is_(None), IpRegistration.valid_until >= today),
        )
    return stored == status.value
