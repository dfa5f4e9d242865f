"""Working days in Asia/Shanghai: weekends and statutory holidays skipped, 调休 counted."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.core.clock import SHANGHAI
from app.core.workdays import is_working_day, nth_working_day_after, period_end


def test_weekends_are_skipped() -> None:
    assert nth_working_day_after(date(2026, 11, 20), 1) == date(2026, 11, 23)  # Fri → Mon
    # Ten working days from Tuesday 24 November 2026: two weekends skipped.
    assert nth_working_day_after(date(2026, 11, 24), 10) == date(2026, 12, 8)


def test_national_day_holiday_and_make_up_days() -> None:
    # 2025: 1–8 October off; Sunday 28 September and Saturday 11 October worked (调休).
    assert not is_working_day(date(2025, 10, 1))
    assert not is_working_day(date(2025, 10, 8))
    assert is_working_day(date(2025, 9, 28)) and date(2025, 9, 28).weekday() == 6
    assert is_working_day(date(2025, 10, 11)) and date(2025, 10, 11).weekday() == 5
    assert nth_working_day_after(date(2025, 9, 26), 1) == date(2025, 9, 28)
    assert nth_working_day_after(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert nth_working_day_after(date(2025, 10, 9), 2) == date(2025, 10, 11)


def test_spring_festival_is_skipped() -> None:
    assert [d for d in range(15, 24) if is_working_day(date(2026, 2, d))] == []
    assert nth_working_day_after(date(2026, 2, 13), 1) == date(2026, 2, 14)  # a Saturday worked


def test_period_end_is_the_shanghai_midnight_after_the_last_working_day() -> None:
    start = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)
    ends = period_end(start, 10)
    assert ends == datetime(2026, 12, 9, 0, 0, tzinfo=SHANGHAI)
    assert ends.tzinfo is UTC
    # Late in the evening UTC is already the next day in Shanghai.
    late = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # 01:00 on the 25th in Shanghai
    assert period_end(late, 1) == datetime(2026, 11, 27, 0, 0, tzinfo=SHANGHAI)
    assert period_end(start, 0) == start


def test_a_year_without_an_arrangement_counts_monday_to_friday() -> None:
    day = nth_working_day_after(date(2026, 12, 30), 5)
    assert day > date(2027, 1, 1) and day.weekday() < 5
    assert day - date(2026, 12, 30) < timedelta(days=10)
