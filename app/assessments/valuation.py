"""Valuation of a data asset (数据资产评估指导意见, 中评协〔2023〕17号). Pure, Decimal only.

- cost:   P = C × (1 + R) × Q, C the sum of the cost items, R the reasonable return rate,
          Q the quality coefficient;
- income: P = Σₜ K·Fₜ / (1 + i)^t for t = 1…n, Fₜ the forecast revenue of period t, K the
          share attributable to the data, i the discount rate;
- market: P = mean over ≥ 3 comparables of priceⱼ × (Q / Qⱼ) × date × volume × other
          adjustments.

Arithmetic runs at 34 significant digits and is rounded half-up to 0.01 CNY once, at the end.
Every result keeps its inputs, formula, each factor and the method version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from enum import StrEnum
from typing import Any

RULES_VERSION = "valuation/CAS-2023-17/1"
MIN_COMPARABLES = 3
_CENT = Decimal("0.01")
_PRECISION = Context(prec=34, rounding=ROUND_HALF_UP)


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
    with localcontext(_PRECISION):
        return amount.quantize(_CENT, rounding=ROUND_HALF_UP)


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
    with localcontext(_PRECISION):
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
    with localcontext(_PRECISION):
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


def market(comparables: Sequence[Comparable], quality_coefficient: Decimal) -> ValuationResult:
    if len(comparables) < MIN_COMPARABLES:
        raise ValuationInputError(
            "comparables",
            f"at least {MIN_COMPARABLES} comparables are needed",
            f"至少需要 {MIN_COMPARABLES} 个可比案例",
        )
    _within(quality_coefficient, "quality_coefficient")
    breakdown = []
    with localcontext(_PRECISION):
        adjusted_total = Decimal(0)
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
            quality = quality_coefficient / c.quality_coefficient
            adjusted = (
                c.price * quality * c.date_adjustment * c.volume_adjustment * c.other_adjustment
            )
            adjusted_total += adjusted
            breakdown.append(
                {
                    "reference": c.reference,
                    "price": _text(c.price),
                    "quality_adjustment": _text(quality),
                    "date_adjustment": _text(c.date_adjustment),
                    "volume_adjustment": _text(c.volume_adjustment),
                    "other_adjustment": _text(c.other_adjustment),
                    "adjusted_price": _text(adjusted),
                }
            )
        mean = adjusted_total / len(comparables)
    return ValuationResult(
        method=Method.market,
        value=money(mean, "comparables"),
        formula="P = mean(priceⱼ × Q/Qⱼ × date × volume × other)",
        factors={
            "Q": _text(quality_coefficient),
            "comparables": len(comparables),
            "unrounded": _text(mean),
        },
        breakdown=breakdown,
    )
