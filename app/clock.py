"""Dates as the exchange keeps them: calendar days are Asia/Shanghai days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai_today(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(SHANGHAI).date()


# When a trade can have happened (DOMAIN.md): not before China's first data exchanges were
# thought of, and not more than a day ahead of this server's clock (time zones, clock skew).
EARLIEST_OCCURRENCE = datetime(1990, 1, 1, tzinfo=SHANGHAI)
FUTURE_SLACK = timedelta(days=1)


def plausible_occurrence(value: datetime) -> datetime:
    """`value` if a trade or trade event may be dated so, else a ValueError saying why."""
    if value < EARLIEST_OCCURRENCE:
        raise ValueError("must not be before 1990-01-01 (Asia/Shanghai)")
    if value > datetime.now(UTC) + FUTURE_SLACK:
        raise ValueError("must not be more than one day in the future")
    return value
