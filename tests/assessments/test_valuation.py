"""The valuation engine: DOMAIN.md's worked examples, monotonicity, and refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.assessments import valuation
from app.assessments.valuation import Comparable, CostItem, ValuationInputError

amounts = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)
unit = st.decimals(min_value=0, max_value=1, places=4, allow_nan=False, allow_infinity=False)


def test_worked_example_cost() -> None:
    items = [
        CostItem("planning", Decimal("100000")),
        CostItem("acquisition", Decimal("50000.50")),
        CostItem("storage", Decimal("25000")),
    ]
    result = valuation.cost(items, Decimal("0.1"), Decimal("0.8"))
    assert result.value == Decimal("154000.44")
    assert result.factors["C"] == "175000.50"
    assert result.rules_version.startswith("valuation/")


def test_worked_example_income() -> None:
    result = valuation.income(
        [Decimal(100000), Decimal(120000), Decimal(140000)], Decimal("0.1"), Decimal("0.3")
    )
    assert result.value == Decimal("88580.02")
    assert [p["t"] for p in result.breakdown] == [1, 2, 3]


def test_market_mean_of_adjusted_comparables() -> None:
    comparables = [
        Comparable(Decimal(1000), Decimal("0.5")),
        Comparable(Decimal(2000), Decimal("1")),
        Comparable(Decimal(3000), Decimal("1"), date_adjustment=Decimal("0.5")),
    ]
    # Q = 0.5: 1000 × 1 = 1000; 2000 × 0.5 = 1000; 3000 × 0.5 × 0.5 = 750 → mean 916.67
    assert valuation.market(comparables, Decimal("0.5")).value == Decimal("916.67")


@given(st.lists(amounts, min_size=1, max_size=8), unit, unit, unit)
def test_cost_is_monotone_in_quality(
    costs: list[Decimal], rate: Decimal, q1: Decimal, q2: Decimal
) -> None:
    items = [CostItem("processing", c) for c in costs]
    low, high = sorted([q1, q2])
    assert valuation.cost(items, rate, low).value <= valuation.cost(items, rate, high).value


@given(
    st.lists(amounts, min_size=1, max_size=10),
    st.integers(0, 9),
    amounts,
    st.decimals(min_value="-0.5", max_value=1, places=3),
    unit,
)
def test_income_is_monotone_in_cash_flows(
    flows: list[Decimal], at: int, extra: Decimal, rate: Decimal, share: Decimal
) -> None:
    more = list(flows)
    more[at % len(more)] += extra
    assert valuation.income(flows, rate, share).value <= valuation.income(more, rate, share).value


@given(
    st.lists(
        st.tuples(amounts, st.decimals(min_value="0.01", max_value=1, places=2)),
        min_size=3,
        max_size=6,
    ),
    unit,
    unit,
)
def test_market_is_monotone_in_quality(
    pairs: list[tuple[Decimal, Decimal]], q1: Decimal, q2: Decimal
) -> None:
    comparables = [Comparable(price, q) for price, q in pairs]
    low, high = sorted([q1, q2])
    assert valuation.market(comparables, low).value <= valuation.market(comparables, high).value


@given(st.lists(amounts, min_size=1, max_size=5), unit, unit)
def test_values_are_decimal_cents(costs: list[Decimal], rate: Decimal, q: Decimal) -> None:
    value = valuation.cost([CostItem("labour", c) for c in costs], rate, q).value
    assert isinstance(value, Decimal)
    assert value == value.quantize(Decimal("0.01"))


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (
            lambda: valuation.cost([CostItem("x", Decimal(-1))], Decimal("0.1"), Decimal("0.5")),
            "cost_items.0.amount",
        ),
        (lambda: valuation.cost([], Decimal("0.1"), Decimal("0.5")), "cost_items"),
        (
            lambda: valuation.cost([CostItem("x", Decimal(1))], Decimal("1.5"), Decimal("0.5")),
            "return_rate",
        ),
        (lambda: valuation.income([], Decimal("0.1")), "cash_flows"),
        (lambda: valuation.income([Decimal(1)], Decimal("-1")), "discount_rate"),
        (lambda: valuation.income([Decimal(1)], Decimal("1.01")), "discount_rate"),
        (
            lambda: valuation.market([Comparable(Decimal(1), Decimal(1))] * 2, Decimal("0.5")),
            "comparables",
        ),
        (
            lambda: valuation.market([Comparable(Decimal(1), Decimal(0))] * 3, Decimal("0.5")),
            "comparables.0.quality_coefficient",
        ),
    ],
)
def test_nonsense_is_refused(call: object, field: str) -> None:
    with pytest.raises(ValuationInputError) as refused:
        call()  # type: ignore[operator]
    assert refused.value.field == field


def test_absurd_results_are_refused_not_crashed() -> None:
    with pytest.raises(ValuationInputError) as refused:
        valuation.income([Decimal("1e12")] * 10, Decimal("-0.99"))
    assert refused.value.field == "cash_flows"
