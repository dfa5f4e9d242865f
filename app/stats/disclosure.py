"""What the public policy figures may show: the one home of the suppression rule.

DOMAIN.md ("Firsts, programmes and fees"): public policy figures suppress any cell of fewer
than 3 merchants. A cell is one published number and the distinct merchants behind it; it
is shown `{value, suppressed: false, merchants?}` when 0 or at least `THRESHOLD` merchants
stand behind it, else `{value: null, suppressed: true}` (not even how many: 1 and 2 would
tell apart). Zero merchants name nobody, so a zero is shown.

Hiding a cell is worth nothing if another number gives it back by subtraction. An attacker
may ask any window and any region, as often as it likes, and combine the answers; the
figures are built so that no such combination gives a hidden cell back:

1. **Cells are fixed, whatever the query.** Every figure is cut by calendar month
   (Asia/Shanghai) and, where it has a place, by city (the merchant's `xxxx00`). `from` and
   `to` are months, and `region_code` a province or a city: a query only *chooses* whole
   cells, it never cuts one. The cell (Hangzhou, 2026-03) holds the same merchants in every
   answer that shows it, so two overlapping windows, or a province and one of its cities,
   differ by whole cells, each judged on its own. (A window of instants, or a county, would
   cut a cell in two and its difference would be the hidden part: neither is accepted.)
2. **No total above a cell.** No figure is summed over cities, over kinds or over months:
   a region total minus its shown cities would be the hidden ones. The on-venue share is a
   ratio per cell, never its turnover. Programme spend is per programme, each a cell.
3. **A running total is judged by what it adds.** The cumulative data-IP registrations are
   one series (the registry's, not cut by region: the target is the registry's), and the
   difference of two months of it is what was granted in between. So a month is shown only
   if the grants since the last month shown come from 0 or at least `THRESHOLD` distinct
   holders (`running_total`); otherwise it is hidden, and the grants carry forward into the
   next month until enough holders stand behind them. Any two shown months then differ by
   the grants of 0 or at least 3 holders. The decision for a month depends only on the
   months before it, counted from the first grant, never on the window asked.

What this does not hide: a number that changes as records arrive can be watched from one
day to the next (a fourth merchant joining a cell, a trade cancelled, a merchant whose
region changes taking its past with it, show their own effect to someone who knows of the
change); a hidden cell, by being listed, is not zero; and a cell of 3 may be dominated by
one of them (a share is a ratio, no amount, so none is given away). None of these gives a
hidden cell's value back from the published ones.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

THRESHOLD = 3  # fewer distinct merchants than this (and more than none): the cell is hidden

V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Cell(Generic[V]):
    """A published number: `value` None when suppressed; `merchants` None when suppressed."""

    value: V | None
    suppressed: bool
    merchants: int | None


def shown(merchants: int) -> bool:
    """Whether a cell of `merchants` distinct merchants may be shown."""
    return merchants == 0 or merchants >= THRESHOLD


def cell(value: V, merchants: int) -> Cell[V]:
    """`value` as a cell of `merchants` distinct merchants, suppressed unless `shown`."""
    if shown(merchants):
        return Cell(value, False, merchants)
    return Cell(None, True, None)


@dataclass(frozen=True, slots=True)
class Step:
    """One month of a running total: the amount added and who added it."""

    key: str
    added: int
    merchants: frozenset[Hashable]


def running_total(steps: Sequence[Step], keys: Iterable[str]) -> dict[str, Cell[int]]:
    """The running total of `steps` (in key order, from the very first) at each of `keys`,
    each a cell: shown when what was added since the last shown key comes from 0 or at least
    `THRESHOLD` distinct merchants, else hidden and carried forward (rule 3 above). The
    cell's `merchants` are the distinct merchants of the whole total so far."""
    wanted = sorted(set(keys))
    by_key = {s.key: s for s in steps}
    every = sorted(set(by_key) | set(wanted))
    out: dict[str, Cell[int]] = {}
    total = 0
    everyone: set[Hashable] = set()
    pending: set[Hashable] = set()
    for key in every:
        step = by_key.get(key)
        if step is not None:
            total += step.added
            everyone |= step.merchants
            pending |= step.merchants
        if shown(len(pending)):
            pending = set()
            out[key] = Cell(total, False, len(everyone))
        else:
            out[key] = Cell(None, True, None)
    return {key: out[key] for key in wanted}
