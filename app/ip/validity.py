"""Validity dates of a registration, pure rules: its effective status, the renewal window,
how far a grant and a renewal reach (never past a source agreement's end), and terms that
must lie within the certificate's validity. The steps that move them: `renewal.py`."""

from __future__ import annotations

from datetime import date, timedelta

from app.core.errors import ValidationFailed
from app.core.i18n import Text
from app.ip import effective
from app.ip.models import IpRegistration
from app.ip.states import IpStatus


def effective_status(registration: IpRegistration, today: date) -> IpStatus:
    """`registered` reads as `expired` from the day after `valid_until` (`app/ip/effective.py`)."""
    return effective.effective_status(registration.status, registration.valid_until, today)


def renewal_opens_on(registration: IpRegistration, window_days: int) -> date:
    """The first day of the renewal window: `window_days` before `valid_until`."""
    assert registration.valid_until is not None
    return registration.valid_until - timedelta(days=window_days)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def agreement_end(registration: IpRegistration) -> date | None:
    ends = [
        date.fromisoformat(s["agreement_ends_on"])
        for s in registration.sources
        if s.get("agreement_ends_on")
    ]
    return min(ends) if ends else None


def granted_until(registration: IpRegistration, first_day: date, years: int) -> date:
    """`years` from `first_day` (the day before the anniversary), or the end of a source
    agreement if sooner."""
    until = _add_years(first_day, years) - timedelta(days=1)
    agreement = agreement_end(registration)
    return min(until, agreement) if agreement else until


def validity_end(registration: IpRegistration) -> date:
    assert registration.valid_until is not None  # every registered certificate has one
    return registration.valid_until


def renewed_until(registration: IpRegistration, years: int) -> date:
    """The current validity end plus `years`, or a source agreement's end if sooner."""
    until = _add_years(validity_end(registration), years)
    agreement = agreement_end(registration)
    return min(until, agreement) if agreement else until


def within_validity(registration: IpRegistration, starts_on: date, ends_on: date) -> None:
    assert registration.granted_on is not None and registration.valid_until is not None
    if starts_on < registration.granted_on or ends_on > registration.valid_until:
        raise ValidationFailed.field(
            ["body", "ends_on"],
            Text(
                f"the term must lie within the certificate's validity, "
                f"{registration.granted_on} to {registration.valid_until}",
                f"期限须在证书有效期 {registration.granted_on} 至 {registration.valid_until} 之内",
            ),
        )
