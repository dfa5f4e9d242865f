"""Which waiver a trade gets (DOMAIN.md "Firsts, programmes and fees → Fees"), as a pure
function of the rules, the seller and what each rule has already waived it this year.

fee_before_waiver = round_half_up(amount × rate); of the rules that apply, the largest
waiver wins, each rule's waiver being min(round_half_up(fee × percent / 100), cap left),
where the cap left is the rule's `cap_per_merchant` less what the rule has waived the
seller in the calendar year (Asia/Shanghai) of the trade's `occurred_at`. Equal waivers:
the rule created first wins."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from app.core.money import round_half_up


class WaiverKind(StrEnum):
    first_on_venue_trade = "first_on_venue_trade"  # the seller's first on-venue trade
    tier = "tier"  # the seller's merchant tier is the rule's
    region = "region"  # the seller's region code starts with one of the rule's
    period = "period"  # any on-venue trade in the window


@dataclass(frozen=True, slots=True)
class Rule:
    id: UUID
    kind: WaiverKind
    percent: Decimal
    valid_from: date
    valid_to: date
    cap_per_merchant: Decimal
    tier: str | None
    region_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Seller:
    tier: str | None
    region_code: str
    # No on-venue trade recorded before with this seller as seller (at any venue).
    first_on_venue: bool


def in_window(rule: Rule, day: date) -> bool:
    return rule.valid_from <= day <= rule.valid_to


def may_apply(rule: Rule, day: date, tier: str | None, region_code: str) -> bool:
    """Whether the rule may apply to a trade of that day by such a seller, whatever the seller
    traded before (first) and was waived already (cap)."""
    if not in_window(rule, day):
        return False
    if rule.kind is WaiverKind.tier:
        return tier is not None and tier == rule.tier
    if rule.kind is WaiverKind.region:
        return any(region_code.startswith(prefix) for prefix in rule.region_codes)
    return True


@dataclass(frozen=True, slots=True)
class Granted:
    rule_id: UUID
    waiver: Decimal


def best(
    fee: Decimal, rules: list[Rule], day: date, seller: Seller, used: Mapping[UUID, Decimal]
) -> Granted | None:
    """The waiver the trade gets (the largest; the earliest rule of equals), or None.
    `rules` in creation order; `used`: what each rule has waived this seller this year."""
    chosen: Granted | None = None
    for rule in rules:
        if not may_apply(rule, day, seller.tier, seller.region_code):
            continue
        if rule.kind is WaiverKind.first_on_venue_trade and not seller.first_on_venue:
            continue
        left = rule.cap_per_merchant - used.get(rule.id, Decimal(0))
        waiver = min(round_half_up(fee * rule.percent / 100), left, fee)
        if waiver > 0 and (chosen is None or waiver > chosen.waiver):
            chosen = Granted(rule.id, waiver)
    return chosen
