"""The policy dashboard (`GET /v1/stats/policy`): the figures a data bureau reports against
the Zhejiang policy, public and aggregated.

- **Firsts by city and month**: how many merchants reached each first (app/firsts) in each
  city (the merchant's, `xxxx00`) and month (of the first's date, Asia/Shanghai).
- **Data-IP registrations, cumulative**: registrations granted since the registry began,
  at the end of each month, against `SHUSHANG_IP_REGISTRATION_TARGET` (6000 by default).
- **On-venue share (场内占比)** by the seller's city and month: on-venue turnover / all
  turnover of the trades that count (app/trades/confirmation.py).
- **Programmes**: each one's budget and what its approved and paid claims use of it.

Every figure is a cell suppressed below 3 merchants, cut so that no subtraction gives a
hidden one back: app/stats/disclosure.py says how, and is the one home of that rule. The
window is whole months (`from` … `to`, at most `MAX_MONTHS`); the region a province or a
city, never a county (a county would cut a city's cell in two).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.clock import month_after, month_of, month_start, months_of, shanghai_today
from app.core.errors import ValidationFailed
from app.core.i18n import Text
from app.core.money import cents, round_half_up
from app.core.regions import city_name, region_problem
from app.firsts import service as firsts
from app.stats import repository
from app.stats.disclosure import THRESHOLD, Cell, Step, cell, running_total
from app.stats.schemas import (
    CountCell,
    FirstsCell,
    IpMonth,
    IpRegistrations,
    MoneyCell,
    PolicyFigures,
    ProgrammeSpend,
    RatioCell,
    ShareCell,
)

MAX_MONTHS = 120  # a decade, as the data-asset journal: the figures of a window answer at once
DEFAULT_MONTHS = 12  # without `from`: the year that ends with `to`
SHARE_PLACES = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class Query:
    first: str
    last: str
    region_code: str | None
    prefix: str | None  # the region's code as a prefix of merchants' region codes


def region_prefix(code: str) -> str:
    """The prefix of a province's (`xx0000`) or a city's (`xxxx00`) region codes; 422 for
    anything else: the figures are by city, and a county would cut a city's cell in two."""
    problem = region_problem(code)
    if problem:
        raise ValidationFailed.field(
            ["query", "region_code"],
            Text(problem, "不是有效的 GB/T 2260 行政区划代码"),
        )
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    raise ValidationFailed.field(
        ["query", "region_code"],
        Text(
            "must be a province (xx0000) or a city (xxxx00): the figures are by city",
            "须为省级 (xx0000) 或市级 (xxxx00) 行政区划代码:统计按城市汇总",
        ),
    )


def query(first: str | None, last: str | None, region_code: str | None) -> Query:
    """The window and region asked, checked: 422 naming the parameter otherwise."""
    last = last or month_of(shanghai_today())
    if first is None:
        first = months_of("1990-01", last)[-DEFAULT_MONTHS:][0]
    if first > last:
        raise ValidationFailed.field(
            ["query", "to"], Text("must not be before `from`", "不能早于 `from`")
        )
    if len(months_of(first, last)) > MAX_MONTHS:
        raise ValidationFailed.field(
            ["query", "to"],
            Text(
                f"the figures span at most {MAX_MONTHS} months",
                f"统计期间最长 {MAX_MONTHS} 个月",
            ),
        )
    prefix = None if region_code is None else region_prefix(region_code)
    return Query(first, last, region_code, prefix)


def _count(c: Cell[int]) -> CountCell:
    return CountCell(value=c.value, suppressed=c.suppressed, merchants=c.merchants)


def _ratio(part: Decimal, whole: Decimal) -> str:
    return str(round_half_up(part / whole, SHARE_PLACES)) if whole else "0.0000"


async def figures(
    session: AsyncSession, asked: Query, *, large_amount: Decimal, target: int
) -> PolicyFigures:
    return PolicyFigures(
        from_=asked.first,
        to=asked.last,
        region_code=asked.region_code,
        threshold=THRESHOLD,
        firsts_by_city_month=await _firsts(session, asked),
        ip_registrations_cumulative=await _ip(session, asked, target),
        on_venue_share_by_city_month=await _on_venue(session, asked, large_amount),
        programmes=await _programmes(session, asked),
    )


async def _firsts(session: AsyncSession, asked: Query) -> list[FirstsCell]:
    cities = await repository.merchant_cities(session, asked.prefix)
    found = await firsts.all_firsts(
        session, region_prefixes=None if asked.prefix is None else [asked.prefix]
    )
    merchants: defaultdict[tuple[str, str, str], set[UUID]] = defaultdict(set)
    for first in found:
        month = month_of(first.date)
        city = cities.get(first.merchant_id)
        if city is not None and asked.first <= month <= asked.last:
            merchants[(first.kind, city, month)].add(first.merchant_id)
    order = {kind: n for n, kind in enumerate(firsts.KINDS)}
    out = []
    for kind, city, month in sorted(merchants, key=lambda k: (order.get(k[0], 99), k[1], k[2])):
        # One first per merchant and kind: the count is the number of merchants.
        n = len(merchants[(kind, city, month)])
        out.append(
            FirstsCell(
                kind=kind,
                city_code=city,
                city_name=city_name(city),
                month=month,
                count=_count(cell(n, n)),
            )
        )
    return out


async def _ip(session: AsyncSession, asked: Query, target: int) -> IpRegistrations:
    until = month_start(month_after(asked.last)).date()
    grants = await repository.ip_grants_by_month(session, until)
    steps = [Step(month, n, frozenset(holders)) for month, n, holders in grants]
    totals = running_total(steps, months_of(asked.first, asked.last))
    months = []
    for month, total in totals.items():
        # The share is the total over a constant: shown and hidden with it.
        share = None if total.value is None else _ratio(Decimal(total.value), Decimal(target))
        months.append(
            IpMonth(
                month=month,
                registrations=_count(total),
                share_of_target=RatioCell(
                    value=share, suppressed=total.suppressed, merchants=total.merchants
                ),
            )
        )
    return IpRegistrations(target=target, months=months)


async def _on_venue(session: AsyncSession, asked: Query, large_amount: Decimal) -> list[ShareCell]:
    rows = await repository.on_venue_share_by_city_month(
        session,
        large_amount,
        asked.prefix,
        month_start(asked.first),
        month_start(month_after(asked.last)),
    )
    out = []
    for city, month, on_venue, total, sellers in rows:
        share = cell(_ratio(on_venue, total), sellers)
        out.append(
            ShareCell(
                city_code=city,
                city_name=city_name(city),
                month=month,
                share=RatioCell(
                    value=share.value, suppressed=share.suppressed, merchants=share.merchants
                ),
            )
        )
    return out


def _meets(prefixes: list[str], asked: Query) -> bool:
    """A programme's regions (code prefixes, down to a county) meet the region asked."""
    if asked.prefix is None:
        return True
    return any(p.startswith(asked.prefix) or asked.prefix.startswith(p) for p in prefixes)


async def _programmes(session: AsyncSession, asked: Query) -> list[ProgrammeSpend]:
    first_day = month_start(asked.first).date()
    last_day = month_start(month_after(asked.last)).date() - timedelta(days=1)
    rows = await repository.programme_spend(session, first_day, last_day)
    out = []
    for code, name, budget, prefixes, used, claimants in rows:
        if not _meets(prefixes, asked):
            continue
        spent = cell(cents(used), claimants)
        out.append(
            ProgrammeSpend(
                code=code,
                name=name,
                budget=cents(budget),
                used=MoneyCell(
                    value=spent.value, suppressed=spent.suppressed, merchants=spent.merchants
                ),
            )
        )
    return out
