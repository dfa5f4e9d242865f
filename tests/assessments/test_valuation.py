"""The valuation engine: DOMAIN.md's worked examples, monotonicity, and refusals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

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


def test_market_median_of_the_kept_adjusted_comparables() -> None:
    q = Decimal("0.5")
    comparables = [
        Comparable(Decimal(1000), Decimal("0.5")),  # 1000 × 1 = 1000
        Comparable(Decimal(2400), Decimal("1")),  # 2400 × 0.5 = 1200
        Comparable(Decimal(3600), Decimal("1"), date_adjustment=Decimal("0.5")),  # 900
        Comparable(Decimal(1100), Decimal("0.5")),  # 1100
        Comparable(Decimal("999999999999.00"), Decimal("0.5"), reference="collusion"),
    ]
    # m = 1100, |x − m| = 100, 100, 200, 0, 999999998899 → MAD = 100, limit 444.78: the
    # colluders' price is out; the median of 900, 1000, 1100, 1200 is (1000 + 1100) / 2.
    result = valuation.market(comparables, q)
    assert result.value == Decimal("1050.00")
    assert result.rules_version == "valuation/CAS-2023-17/2"
    assert [c["excluded"] for c in result.breakdown] == [None, None, None, None, "outlier"]
    assert [c["adjusted_price"] for c in result.breakdown[:4]] == ["1000", "1200", "900", "1100"]
    assert result.factors["m"] == "1100" and result.factors["MAD"] == "100"
    assert result.factors["outlier_limit"] == "444.78"
    assert result.factors["comparables"] == 5 and result.factors["kept"] == 4
    # The plain mean (version 1) would have been 200 000 000 839.80.


def test_market_rounds_half_up_once_at_the_end() -> None:
    prices = ["1.00", "1.01", "1.02", "1.03"]  # median 1.015, MAD 0.01: all kept
    result = valuation.market([Comparable(Decimal(p), Decimal(1)) for p in prices], Decimal(1))
    assert result.value == Decimal("1.02") and result.factors["unrounded"] == "1.015"


def test_market_with_no_spread_keeps_only_the_median() -> None:
    """MAD = 0: every price other than m is an outlier, however close."""
    prices = ["1000", "1000", "1000", "1000.01", "5000"]
    result = valuation.market([Comparable(Decimal(p), Decimal(1)) for p in prices], Decimal(1))
    assert result.value == Decimal("1000.00")
    assert [c["excluded"] for c in result.breakdown] == [None, None, None, "outlier", "outlier"]


def test_market_needs_three_kept_from_three_sellers_and_three_buyers() -> None:
    def traded(price: str, seller: str, buyer: str) -> Comparable:
        return Comparable(Decimal(price), Decimal(1), seller=seller, buyer=buyer)

    one_buyer = [traded(p, s, "B") for p, s in (("100", "s1"), ("101", "s2"), ("102", "s3"))]
    with pytest.raises(valuation.TooFewKept) as short:
        valuation.market(one_buyer, Decimal(1))
    assert (short.value.kept, short.value.sellers, short.value.buyers) == (3, 3, 1)
    assert short.value.field == "comparables" and "1 distinct buyers" in short.value.message
    spread_out = [traded("100", "s1", "b1"), traded("101", "s2", "b2"), traded("102", "s3", "b3")]
    assert valuation.market(spread_out, Decimal(1)).factors["buyers"] == 3
    # An outlier's parties do not count: three sellers only with the outlier among them.
    with_outlier = [*spread_out[:2], traded("100", "s1", "b3"), traded("99999", "s3", "b4")]
    with pytest.raises(valuation.TooFewKept) as short:
        valuation.market(with_outlier, Decimal(1))
    assert (short.value.kept, short.value.sellers, short.value.buyers) == (3, 2, 3)
    assert [c["excluded"] for c in short.value.breakdown] == [None, None, None, "outlier"]
    # Comparables that name no party (given in a request) are each a party of their own.
    given = [Comparable(Decimal(p), Decimal(1)) for p in ("100", "101", "102")]
    assert valuation.market(given, Decimal(1)).value == Decimal("101.00")


def test_median() -> None:
    assert valuation.median([Decimal(3), Decimal(1), Decimal(2)]) == 2
    assert valuation.median([Decimal(4), Decimal(1), Decimal(2), Decimal(3)]) == Decimal("2.5")
    with pytest.raises(ValueError, match="median"):
        valuation.median([])


# At least 6 comparables: then at least 3 are always kept (those within MAD of the median are
# half of them), so no draw is refused for too few.
comparables = st.lists(
    st.tuples(amounts, st.decimals(min_value="0.01", max_value=1, places=2)),
    min_size=6,
    max_size=12,
).map(lambda pairs: [Comparable(price, q) for price, q in pairs])


def kept_prices(result: valuation.ValuationResult) -> list[Decimal]:
    return [Decimal(c["adjusted_price"]) for c in result.breakdown if c["excluded"] is None]


@given(comparables, unit)
def test_market_value_lies_among_the_kept(given_comparables: list[Comparable], q: Decimal) -> None:
    result = valuation.market(given_comparables, q)
    kept = kept_prices(result)
    assert len(kept) >= 3
    assert valuation.money(min(kept), "x") <= result.value <= valuation.money(max(kept), "x")


@given(comparables, unit, st.randoms(use_true_random=False))
def test_market_is_permutation_invariant(
    given_comparables: list[Comparable], q: Decimal, random: Any
) -> None:
    shuffled = list(given_comparables)
    random.shuffle(shuffled)
    first, second = valuation.market(given_comparables, q), valuation.market(shuffled, q)
    assert first.value == second.value
    assert sorted(kept_prices(first)) == sorted(kept_prices(second))


@given(
    st.lists(st.decimals(min_value=1000, max_value=1100, places=2), min_size=5, max_size=15),
    st.decimals(min_value=10, max_value=10**6, places=0),
    st.integers(0, 15),
    unit,
)
def test_one_huge_outlier_moves_nothing(
    honest: list[Decimal], factor: Decimal, at: int, q: Decimal
) -> None:
    """Among at least 5 similar prices (within 10 %), one far above is excluded and the value
    stays within the honest range."""
    prices = list(honest)
    prices.insert(at % (len(prices) + 1), max(honest) * factor)
    result = valuation.market([Comparable(p, Decimal(1)) for p in prices], q)
    outliers = {Decimal(c["price"]) for c in result.breakdown if c["excluded"] == "outlier"}
    assert q == 0 or max(honest) * factor in outliers
    low, high = (valuation.money(p * q, "x") for p in (min(honest), max(honest)))
    assert low <= result.value <= high


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


@given(comparables, unit, unit)
def test_market_is_monotone_in_quality(
    given_comparables: list[Comparable], q1: Decimal, q2: Decimal
) -> None:
    comparables = given_comparables
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
