"""When a month's statement closes, and which month an after-close change lands in. Pure.

A month `M` (`YYYY-MM`, Asia/Shanghai) closes at `close_of(M)`: day
`SHUSHANG_STATEMENT_CLOSE_DAY` (1–28) of the next month at 00:00 Asia/Shanghai. A change
recorded at instant `X` lands in `landing_month(X)`, the first month whose statement was
still open then: the earliest `N` with `close_of(N) > X`. So the changes that land in `N`
are exactly those recorded in `[close_of(N − 1), close_of(N))`.

A statement is cut at its close as soon as the close has passed, and says `closed` from
`SETTLE` after it.

A trade is *in force* from `on` to `off`, both recording times (`created_at`, never the
back-datable `occurred_at` of a trade or an event):
- `on`: the trade's recording when an operator recorded it (confirmed by the recording),
  else the recording of its first `confirmed` event (a reported off-venue trade is the
  parties' word only once the counterparty or an operator confirmed it);
- `off`: the recording of its `cancelled` or `refunded` event (app/trades/confirmation.py
  UNDONE), if any; a trade undone before it was ever confirmed is never in force.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from app.core.clock import SHANGHAI
from app.trades.confirmation import UNDONE

# How long after its close a statement is still said to be open (`closed: false`) though its
# content is already cut at the close: a request that stamped its trade or event just before
# the close may commit a moment after it (the recording time is taken before the commit), and
# a read replica may lag (`SHUSHANG_READ_MAX_LAG_SECONDS`). Once `closed` is true, nothing
# recorded before the close can still appear.
SETTLE = timedelta(minutes=10)


def first_day(month: str) -> date:
    year, number = month.split("-")
    return date(int(year), int(number), 1)


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def next_month(month: str) -> str:
    day = first_day(month)
    return month_of(date(day.year + day.month // 12, day.month % 12 + 1, 1))


def previous_month(month: str) -> str:
    day = first_day(month)
    return month_of(date(day.year - (day.month == 1), (day.month - 2) % 12 + 1, 1))


def start_of(month: str) -> datetime:
    """00:00 Asia/Shanghai on the month's first day."""
    return datetime.combine(first_day(month), time(), SHANGHAI)


def close_of(month: str, close_day: int) -> datetime:
    """00:00 Asia/Shanghai on day `close_day` of the next month."""
    following = first_day(next_month(month))
    return datetime.combine(following.replace(day=close_day), time(), SHANGHAI)


def month_at(moment: datetime) -> str:
    """The month (Asia/Shanghai) of an instant."""
    return month_of(moment.astimezone(SHANGHAI).date())


def landing_month(recorded: datetime, close_day: int) -> str:
    """The first month whose statement was open at `recorded`: the instant's own month, or
    the one before while that one has not closed yet."""
    own = month_at(recorded)
    before = previous_month(own)
    return before if recorded < close_of(before, close_day) else own


@dataclass(frozen=True, slots=True)
class Life:
    """When a trade came into force and went out of it (recording times; None: never)."""

    on: datetime | None
    off: datetime | None
    off_kind: str | None  # `cancelled` or `refunded`
    on_kind: str  # `recorded` or `confirmed`

    def in_force(self, before: datetime | None) -> bool:
        """In force with every fact recorded before `before` (None: every fact so far)."""
        if self.on is None or (before is not None and self.on >= before):
            return False
        return self.off is None or (before is not None and self.off >= before)

    def changes(self) -> list[tuple[datetime, int, str]]:
        """(recorded, +1 into force | −1 out of it, why), in order."""
        if self.on is None:
            return []
        out = [(self.on, 1, self.on_kind)]
        if self.off is not None:
            assert self.off_kind is not None
            out.append((self.off, -1, self.off_kind))
        return out


def life(created_at: datetime, reported: bool, events: Iterable[tuple[str, datetime]]) -> Life:
    """A trade's life from its recording, whether a merchant reported it, and its events
    (type, recorded at)."""
    ordered = sorted(events, key=lambda e: e[1])
    on: datetime | None = created_at.astimezone(UTC)
    on_kind = "recorded"
    if reported:
        confirmed = [at for kind, at in ordered if kind == "confirmed"]
        on = confirmed[0].astimezone(UTC) if confirmed else None
        on_kind = "confirmed"
    undone = [(kind, at) for kind, at in ordered if kind in UNDONE]
    off_kind, off = (undone[0][0], undone[0][1].astimezone(UTC)) if undone else (None, None)
    if on is not None and off is not None and off <= on:
        on, off, off_kind = None, None, None  # undone before it was ever confirmed
    return Life(on=on, off=off, off_kind=off_kind, on_kind=on_kind)
