"""Valuation of a data asset (数据资产评估指导意见, 中评协〔2023〕17号). Pure, Decimal only.

- cost:   P = C × (1 + R) × Q, C the sum of the cost items, R the reasonable return rate,
          Q the quality coefficient;
- income: P = Σₜ K·Fₜ / (1 + i)^t for t = 1…n, Fₜ the forecast revenue of period t, K the
          share attributable to the data, i the discount rate;
- market: the adjusted prices xⱼ = priceⱼ × (Q / Qⱼ) × date × volume × other adjustments of
          ≥ 3 comparables; m = median(x), MAD = median(|xⱼ − m|); xⱼ with
          |xⱼ − m| > 3 × 1.4826 × MAD is an `outlier` and excluded (so when MAD = 0, every
          xⱼ ≠ m); the kept must come from ≥ 3 distinct sellers and ≥ 3 distinct buyers;
          P = median of the kept (the mean of the two middle ones for an even count).

A median with outliers excluded, because a mean is whatever one comparable makes it: two
colluding merchants once lifted a market value from 9 992.92 to 249 124 569 775.58 CNY with
one sale at 999 999 999 999.00. 1.4826 × MAD estimates a standard deviation from the median
absolute deviation (it is 1 / Φ⁻¹(3/4)), and 3 of those is the usual robust cut; both medians
ignore up to half the prices, however far off. The distinct parties keep one seller or one
buyer from being most of the evidence. A comparable with no seller or buyer named (given in
the request by the assessor, on its own signed evidence) counts as a party of its own.

Arithmetic runs at 34 significant digits and is rounded half-up to 0.01 CNY once, at the end.
Every result keeps its inputs, formula, each factor and the method version: version 1 of the
market method took the plain mean of the adjusted prices; version 2 (this one) the median of
the kept. A result keeps the version it was computed with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from enum import StrEnum
from typing import Any

from app.core.money import PRECISE, round_half_up

RULES_VERSION = "valuation/CAS-2023-17/2"
MIN_COMPARABLES = 3  # and as many distinct sellers, and buyers, among the kept
# An adjusted price further than this many MADs from the median is an outlier.
OUTLIER_MADS = 3 * Decimal("1.4826")
OUTLIER = "outlier"


class Method(StrEnum):
    cost = "cost"
    income = "income"
    market = "market"


class ValuationInputError(ValueError):
    """Inputs that make no valuation: `field` names what is wrong."""

    def __init__(self, field: str, message: str, message_zh: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.message_zh = message_zh


class TooFewKept(ValuationInputError):
    """The comparables kept after excluding outliers come from too few distinct sellers or
    buyers; `breakdown` is each comparable's entry (its `excluded` says which were outliers)."""

    def __init__(self, kept: int, sellers: int, buyers: int, breakdown: list[dict[str, Any]]):
        outliers = len(breakdown) - kept
        super().__init__(
            "comparables",
            f"{outliers} of {len(breakdown)} comparables are outliers (further than "
            f"3 × 1.4826 × MAD from the median); the {kept} kept come from {sellers} distinct "
            f"sellers and {buyers} distinct buyers, and at least {MIN_COMPARABLES} of each "
            "are needed",
            f"{len(breakdown)} 个可比案例中有 {outliers} 个离群(与中位数之差超过 3 × 1.4826 × "
            f"MAD);保留的 {kept} 个来自 {sellers} 个不同卖方、{buyers} 个不同买方,"
            f"卖方和买方各至少需要 {MIN_COMPARABLES} 个",
        )
        self.kept, self.sellers, self.buyers = kept, sellers, buyers
        self.breakdown = breakdown


@dataclass(frozen=True)
class CostItem:
    kind: str
    amount: Decimal


@dataclass(frozen=True)
class Comparable:
    price: Decimal
    quality_coefficient: Decimal
    date_adjustment: Decimal = Decimal(1)
    volume_adjustment: Decimal = Decimal(1)
    other_adjustment: Decimal = Decimal(1)
    reference: str | None = None
    # Who sold and who bought (a recorded trade's merchants); None: a party of its own.
    seller: str | None = None
    buyer: str | None = None


@dataclass(frozen=True)
class ValuationResult:
    method: Method
    value: Decimal
    formula: str
    factors: dict[str, Any]
    breakdown: list[dict[str, Any]] = field(default_factory=list)
    rules_version: str = RULES_VERSION


# The largest value kept (numeric(16, 2)); inputs that value an asset beyond it are wrong.
MAX_VALUE = Decimal(10) ** 14


def money(amount: Decimal, field: str) -> Decimal:
    """Round half-up to the cent, once; refuse a value too large to be a real valuation."""
    if abs(amount) >= MAX_VALUE:
        raise ValuationInputError(
            field,
            "the inputs value the asset at 10^14 CNY or more",
            "按该输入估值达到或超过 10^14 元",
        )
    with localcontext(PRECISE):
        return round_half_up(amount)


def _text(value: Decimal) -> str:
    """A factor as text: exact, without exponent notation."""
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


def _within(
    value: Decimal, field: str, low: Decimal = Decimal(0), high: Decimal = Decimal(1)
) -> None:
    if not low <= value <= high:
        raise ValuationInputError(
            field, f"must be between {low} and {high}", f"须在 {low} 到 {high} 之间"
        )


def _positive(value: Decimal, field: str) -> None:
    if value <= 0:
        raise ValuationInputError(field, "must be above 0", "须大于 0")


def cost(
    items: Sequence[CostItem], return_rate: Decimal, quality_coefficient: Decimal
) -> ValuationResult:
    if not items:
        raise ValuationInputError(
            "cost_items", "at least one cost item is needed", "至少需要一项成本"
        )
    for index, item in enumerate(items):
        if item.amount < 0:
            raise ValuationInputError(
                f"cost_items.{index}.amount", "a cost is not negative", "成本不能为负"
            )
    _within(return_rate, "return_rate")
    _within(quality_coefficient, "quality_coefficient")
    with localcontext(PRECISE):
        total = sum((item.amount for item in items), Decimal(0))
        exact = total * (Decimal(1) + return_rate) * quality_coefficient
    return ValuationResult(
        method=Method.cost,
        value=money(exact, "cost_items"),
        formula="P = C × (1 + R) × Q",
        factors={
            "C": _text(total),
            "R": _text(return_rate),
            "Q": _text(quality_coefficient),
            "unrounded": _text(exact),
        },
        breakdown=[{"kind": item.kind, "amount": _text(item.amount)} for item in items],
    )


def income(
    cash_flows: Sequence[Decimal], discount_rate: Decimal, share_rate: Decimal = Decimal(1)
) -> ValuationResult:
    if not cash_flows:
        raise ValuationInputError(
            "cash_flows", "at least one period's forecast is needed", "至少需要一期预测收益"
        )
    if not Decimal(-1) < discount_rate <= Decimal(1):
        raise ValuationInputError(
            "discount_rate", "must be above -1 and at most 1", "须大于 -1 且不超过 1"
        )
    _within(share_rate, "share_rate")
    breakdown = []
    with localcontext(PRECISE):
        total = Decimal(0)
        for period, flow in enumerate(cash_flows, start=1):
            factor = Decimal(1) / (Decimal(1) + discount_rate) ** period
            present = share_rate * flow * factor
            total += present
            breakdown.append(
                {
                    "t": period,
                    "F": _text(flow),
                    "discount_factor": _text(factor),
                    "present_value": _text(present),
                }
            )
    return ValuationResult(
        method=Method.income,
        value=money(total, "cash_flows"),
        formula="P = Σ K·Fₜ / (1 + i)^t, t = 1…n",
        factors={
            "K": _text(share_rate),
            "i": _text(discount_rate),
            "n": len(cash_flows),
            "unrounded": _text(total),
        },
        breakdown=breakdown,
    )


def median(values: Sequence[Decimal]) -> Decimal:
    """The middle value; for an even count, the mean of the two middle ones (exact at 34
    digits, as the rest of the arithmetic)."""
    if not values:
        raise ValueError("the median of nothing")
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    with localcontext(PRECISE):
        return (ordered[middle - 1] + ordered[middle]) / 2


@dataclass(frozen=True)
class Spread:
    """Where the adjusted prices lie: their median, MAD, the distance beyond which a price is
    an outlier, and which are (in the order given)."""

    median: Decimal
    mad: Decimal
    limit: Decimal
    outliers: list[bool]


def spread(adjusted: Sequence[Decimal]) -> Spread:
    """m = median(x), MAD = median(|xⱼ − m|); xⱼ is an outlier when |xⱼ − m| > 3 × 1.4826 ×
    MAD (with MAD = 0: whenever xⱼ ≠ m, which is the same test)."""
    with localcontext(PRECISE):
        m = median(adjusted)
        mad = median([abs(x - m) for x in adjusted])
        limit = OUTLIER_MADS * mad
        return Spread(m, mad, limit, [abs(x - m) > limit for x in adjusted])


def _parties(named: Sequence[str | None]) -> int:
    """How many distinct parties: each unnamed one (None) is a party of its own."""
    return len({n for n in named if n is not None}) + sum(n is None for n in named)


def market(comparables: Sequence[Comparable], quality_coefficient: Decimal) -> ValuationResult:
    if len(comparables) < MIN_COMPARABLES:
        raise ValuationInputError(
            "comparables",
            f"at least {MIN_COMPARABLES} comparables are needed",
            f"至少需要 {MIN_COMPARABLES} 个可比案例",
        )
    _within(quality_coefficient, "quality_coefficient")
    for index, c in enumerate(comparables):
        if c.price < 0:
            raise ValuationInputError(
                f"comparables.{index}.price", "a price is not negative", "价格不能为负"
            )
        for name in (
            "quality_coefficient",
            "date_adjustment",
            "volume_adjustment",
            "other_adjustment",
        ):
            _positive(getattr(c, name), f"comparables.{index}.{name}")
    with localcontext(PRECISE):
        # One division, last: prices equal in exact arithmetic are equal here too, so the
        # medians and the outlier test see them as they are.
        adjusted = [
            c.price
            * quality_coefficient
            * c.date_adjustment
            * c.volume_adjustment
            * c.other_adjustment
            / c.quality_coefficient
            for c in comparables
        ]
        found = spread(adjusted)
        breakdown = [
            {
                "reference": c.reference,
                "price": _text(c.price),
                "quality_adjustment": _text(quality_coefficient / c.quality_coefficient),
                "date_adjustment": _text(c.date_adjustment),
                "volume_adjustment": _text(c.volume_adjustment),
                "other_adjustment": _text(c.other_adjustment),
                "adjusted_price": _text(x),
                "excluded": OUTLIER if out else None,
            }
            for c, x, out in zip(comparables, adjusted, found.outliers, strict=True)
        ]
        kept = [
            (c, x)
            for c, x, out in zip(comparables, adjusted, found.outliers, strict=True)
            if not out
        ]
        sellers = _parties([c.seller for c, _ in kept])
        buyers = _parties([c.buyer for c, _ in kept])
        if min(sellers, buyers) < MIN_COMPARABLES:
            raise TooFewKept(len(kept), sellers, buyers, breakdown)
        value = median([x for _, x in kept])
    return ValuationResult(
        method=Method.market,
        value=money(value, "comparables"),
        formula="P = median of the kept xⱼ = priceⱼ × Q/Qⱼ × date × volume × other; "
        "kept: |xⱼ − m| ≤ 3 × 1.4826 × MAD, m = median(x), MAD = median(|xⱼ − m|)",
        factors={
            "Q": _text(quality_coefficient),
            "comparables": len(comparables),
            "kept": len(kept),
            "m": _text(found.median),
            "MAD": _text(found.mad),
            "outlier_limit": _text(found.limit.normalize()),
            "sellers": sellers,
            "buyers": buyers,
            "unrounded": _text(value),
        },
        breakdown=breakdown,
    )
