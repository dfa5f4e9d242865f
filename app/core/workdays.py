"""Working days of mainland China (Asia/Shanghai dates), for periods counted in 工作日.

Weekends and statutory holidays are skipped and make-up working days (调休, a Saturday or
Sunday worked in exchange for a holiday) count, as the State Council's yearly notice
arranges them. The arrangement comes from the maintained `chinesecalendar` library; a
year it does not know yet (the notice for a year appears late in the year before) falls
back to Monday to Friday: upgrading the library corrects such dates.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta

import chinese_calendar

from app.core.clock import SHANGHAI

logger = logging.getLogger(__name__)


def is_working_day(day: date) -> bool:
    try:
        working: bool = chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the library has no arrangement for yet
        logger.warning("no holiday arrangement for %s; counting Monday to Friday", day.year)
        return day.weekday() < 5
    return working


def nth_working_day_after(day: date, n: int) -> date:
    """The n-th working day after `day` (`day` itself not counted); `day` when n is 0."""
    found = 0
    while found < n:
        day += timedelta(days=1)
        if is_working_day(day):
            found += 1
    return day


def period_end(start: datetime, working_days: int) -> datetime:
    """When a period of `working_days` working days that starts at `start` ends.

    The period runs over the working days after the Shanghai date of `start` and ends at
    the midnight (Asia/Shanghai) that closes the last of them; a period of 0 days ends at
    `start`.
    """
    if working_days == 0:
        return start
    last = nth_working_day_after(start.astimezone(SHANGHAI).date(), working_days)
    return datetime.combine(last + timedelta(days=1), time(), SHANGHAI).astimezone(UTC)
