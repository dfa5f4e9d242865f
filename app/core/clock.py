"""Dates as the exchange keeps them: calendar days are Asia/Shanghai days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, Field

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai_today(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(SHANGHAI).date()


# When a fact the exchange records can have happened (DOMAIN.md): a trade, a trade event, a
# data asset's cost item or movement. Not before China's first data exchanges were thought of
# (1990-01-01, Asia/Shanghai: also the first day a query may name), and not more than a day
# ahead of this server's clock (time zones, clock skew). The one home of this window.
EARLIEST_DAY = date(1990, 1, 1)
EARLIEST_OCCURRENCE = datetime.combine(EARLIEST_DAY, time(), SHANGHAI)
FUTURE_SLACK = timedelta(days=1)


def occurrence_days(now: datetime | None = None) -> tuple[date, date]:
    """The first and last calendar days (Asia/Shanghai) a fact may be dated: 1990-01-01 to
    tomorrow."""
    return EARLIEST_DAY, shanghai_today(now) + FUTURE_SLACK


def plausible_occurrence(value: datetime) -> datetime:
    """`value` if a trade or trade event may be dated so, else a ValueError saying why."""
    if value < EARLIEST_OCCURRENCE:
        raise ValueError("must not be before 1990-01-01 (Asia/Shanghai)")
    if value > datetime.now(UTC) + FUTURE_SLACK:
        raise ValueError("must not be more than one day in the future")
    return value


# --- Dates and numbers in queries --------------------------------------------------------
# DOMAIN.md ("Dates and numbers in queries"): bounded like bodies, from 1990-01-01 to
# 9999-12-31 after conversion to Asia/Shanghai, months from 1990-01 to 2100-12; outside, 422
# naming the parameter. Every route takes such a parameter as one of the types below, so the
# bound is said once; PostgreSQL (and Python's own dates) never see a year 0 or 10000.
LATEST_DAY = date(9999, 12, 31)
EARLIEST_MONTH = "1990-01"
LATEST_MONTH = "2100-12"
_BOUNDS = f"must lie between {EARLIEST_DAY} and {LATEST_DAY} (Asia/Shanghai)"


def bounded_instant(value: datetime) -> datetime:
    """`value` (aware: without an offset it is UTC) if its Asia/Shanghai date lies within
    the bounds, else a ValueError saying them."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    try:
        day = aware.astimezone(SHANGHAI).date()
    except OverflowError:  # 0001-01-01T00:00+14:00, 9999-12-31T23:59-14:00: off the calendar
        raise ValueError(_BOUNDS) from None
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValueError(_BOUNDS)
    return aware


# What a route's description says of its QueryInstant parameters.
INSTANT_BOUNDS = (
    f"with an offset (else UTC), {EARLIEST_DAY} to {LATEST_DAY} in Asia/Shanghai, else 422"
)
# An instant in a query (`since`, `updated_since`, `occurred_from`, …).
QueryInstant = Annotated[datetime, AfterValidator(bounded_instant)]
# A calendar month in a query, `YYYY-MM` from 1990-01 to 2100-12: the pattern is the bound,
# so the API description says it to every client.
QueryMonth = Annotated[
    str,
    Field(
        pattern=r"^(199[0-9]|20[0-9]{2}|2100)-(0[1-9]|1[0-2])$",
        description=f"A calendar month, `YYYY-MM` (Asia/Shanghai), {EARLIEST_MONTH} to "
        f"{LATEST_MONTH}.",
        examples=["2025-12"],
    ),
]


def months_of(first: str, last: str) -> list[str]:
    """The months `first` … `last` (`YYYY-MM`, as QueryMonth admits them), both included;
    empty when `last` is before `first`."""
    out: list[str] = []
    current = first
    while current <= last:
        out.append(current)
        current = month_after(current)
    return out


def month_start(month: str) -> datetime:
    """The first instant of `month` (`YYYY-MM`) in Asia/Shanghai."""
    return datetime(int(month[:4]), int(month[5:7]), 1, tzinfo=SHANGHAI)


def month_after(month: str) -> str:
    """The month after `month` (`YYYY-MM`)."""
    year, number = int(month[:4]), int(month[5:7])
    return f"{year + 1:04d}-01" if number == 12 else f"{year:04d}-{number + 1:02d}"


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"
