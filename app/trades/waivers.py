"""The fee waiver of trades being recorded (DOMAIN.md "Firsts, programmes and fees →
Fees"): the venue's rules are app/fees/'s, asked through its service; what a seller has
traded and been waived is the trades' own, read here.

Only on-venue trades recorded one by one (`POST /v1/transactions`, the demo) or imported
as not historical are waived; an off-venue or historical trade keeps its fee whole. The
waiver is fixed at recording (it is in the trade's leaf): a rule created or ended later
changes no recorded fee.

Concurrency: before reading what a rule has waived a seller this year, the transaction
takes an advisory lock per (rule, seller, year), and per seller for a first on-venue
trade, all at once and in one order; it holds them until it commits. Two trades racing for
the last of a cap, or for the seller's first on-venue trade (in two processes, or at two
venues), are so decided one after the other, the second seeing what the first was given.
Within a batch the trades are decided in order, each seeing the waivers of those before.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from uuid import UUID

from app.core.clock import SHANGHAI
from app.core.db import Driver
from app.fees import service as fees
from app.trades import repository
from app.trades.models import NewTrade


def _day(trade: NewTrade) -> date:
    return trade.occurred_at.astimezone(SHANGHAI).date()


async def waive(raw: Driver, trades: Sequence[NewTrade]) -> None:
    """Set `fee`, `fee_before_waiver` (= the fee as computed) and `fee_waiver_id` of the
    trades (of any venues, in recording order) that a rule of their venue waives, in the
    caller's transaction, before their leaves are appended."""
    on_venue = [t for t in trades if t.on_venue]
    if not any(t.fee > 0 for t in on_venue):
        return
    rules: dict[str, list[fees.Rule]] = {}
    for venue in sorted({t.venue_code for t in on_venue}):
        days = [_day(t) for t in on_venue if t.venue_code == venue]
        found = await fees.in_force(raw, venue, min(days), max(days))
        if found:
            rules[venue] = found
    if not rules:
        return  # the common case: one query a batch
    profiles = await repository.sellers_for_waivers(
        raw, sorted({t.seller_merchant_id for t in on_venue})
    )
    # Every (rule, seller, year) a trade might draw on, and the sellers that might have a
    # first: locked, then read.
    asked: set[tuple[UUID, UUID, int]] = set()
    firsts: set[UUID] = set()
    for trade in on_venue:
        tier, region, _ = profiles[trade.seller_merchant_id]
        day = _day(trade)
        for rule in rules.get(trade.venue_code, ()):
            if fees.may_apply(rule, day, tier, region):
                asked.add((rule.id, trade.seller_merchant_id, day.year))
                if rule.kind is fees.WaiverKind.first_on_venue_trade:
                    firsts.add(trade.seller_merchant_id)
    if not asked:
        return
    keys = [f"fee_waiver {r} {s} {y}" for r, s, y in asked]
    keys += [f"first_on_venue_trade {s}" for s in firsts]
    await repository.lock_all(raw, sorted(keys))
    if firsts:  # read again, under the locks: a first committed meanwhile counts
        profiles.update(await repository.sellers_for_waivers(raw, sorted(firsts)))
    used = await repository.waived(raw, sorted(asked))
    traded: set[UUID] = set()  # sellers with an on-venue trade earlier in this batch
    for trade in on_venue:
        seller_id = trade.seller_merchant_id
        venue_rules = rules.get(trade.venue_code)
        if venue_rules and trade.fee > 0:
            tier, region, first = profiles.get(seller_id, (None, "", False))
            day = _day(trade)
            seller = fees.Seller(tier, region, first and seller_id not in traded)
            granted = fees.best(
                trade.fee,
                venue_rules,
                day,
                seller,
                {r.id: used.get((r.id, seller_id, day.year), Decimal(0)) for r in venue_rules},
            )
            if granted is not None:
                trade.fee_before_waiver = trade.fee
                trade.fee = trade.fee - granted.waiver
                trade.fee_waiver_id = granted.rule_id
                key = (granted.rule_id, seller_id, day.year)
                used[key] = used.get(key, Decimal(0)) + granted.waiver
        traded.add(seller_id)
