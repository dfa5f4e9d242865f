"""The quality engine (GB/T 36344-2018), on rows it is handed."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from app.assessments.quality import ProductFacts, assess, grade_of
from tests.factories import valid_uscc, wrong_check

TODAY = date(2026, 11, 24)
NAMES = ["企业名称", "统一社会信用代码", "注册资本", "更新日期"]
FULL = ProductFacts(delivery_modes=["api"], schema={"columns": []}, service_level="99.5%")


def rows(n: int) -> list[list[str | None]]:
    return [
        [f"企业{i}", valid_uscc(i), f"{100 + i}.50", (TODAY - timedelta(days=i % 30)).isoformat()]
        for i in range(n)
    ]


def test_a_clean_sample_scores_high() -> None:
    result = assess(NAMES, rows(50), FULL, TODAY)
    assert result.indicators["completeness"] == Decimal("100.00")
    assert result.indicators["conformity"] == Decimal("100.00")
    assert result.indicators["accuracy"] == Decimal("100.00")
    assert result.indicators["consistency"] == Decimal("100.00")
    assert result.indicators["timeliness"] == Decimal("100.00")
    assert result.indicators["accessibility"] == Decimal("100.00")
    assert result.overall == Decimal("100.00") and result.grade == "A"
    assert result.quality_coefficient == Decimal("1.0000")
    rules = {c["name"]: c["format_rule"] for c in result.columns}
    assert rules == {
        "企业名称": None,
        "统一社会信用代码": "uscc",
        "注册资本": "number",
        "更新日期": "date",
    }


def test_each_indicator_reacts() -> None:
    data = rows(10)
    data[0][1] = wrong_check(data[0][1])  # one bad USCC of 30 checked values
    data[1][0] = None  # one empty cell of 40
    data.append(list(data[2]))  # one duplicate row of 11
    result = assess(NAMES, data, ProductFacts(), TODAY)
    assert result.indicators["completeness"] == Decimal("97.73")  # 43 / 44
    assert result.details["conformity"]["failed_values"] == 1
    assert result.indicators["accuracy"] == Decimal("90.91")  # 10 distinct / 11
    assert result.indicators["accessibility"] == Decimal("25.00")  # only the sample


def test_timeliness_follows_the_decay() -> None:
    year_old = [["x", (TODAY - timedelta(days=365)).isoformat()]]
    assert assess(["a", "日期"], year_old, ProductFacts(), TODAY).indicators[
        "timeliness"
    ] == Decimal("2.00")
    no_dates = assess(["a"], [["x"]], ProductFacts(data_as_of=TODAY - timedelta(days=73)), TODAY)
    # 100 × 0.02^(73/365) = 45.73
    assert no_dates.indicators["timeliness"] == Decimal("45.73")
    assert assess(["a"], [["x"]], ProductFacts(), TODAY).indicators["timeliness"] == Decimal("0.00")


def test_declared_keys_rules_and_required_columns() -> None:
    schema = {
        "primary_key": ["id"],
        "required": ["id"],
        "rules": [{"left": "start", "op": "<=", "right": "end"}],
        "columns": [{"name": "id", "format": "number"}],
    }
    data = [["1", "2025-01-01", "2025-02-01"], ["1", "2025-03-01", "2025-02-01"], ["2", None, None]]
    result = assess(["id", "start", "end"], data, ProductFacts(schema=schema), TODAY)
    assert result.details["accuracy"]["distinct_keys"] == 2
    assert result.indicators["completeness"] == Decimal("100.00")  # only `id` must be filled
    assert result.details["consistency"]["rules_kept"] == [1]
    assert result.details["consistency"]["rules_checked"] == [2]


def test_grades() -> None:
    assert [grade_of(Decimal(v)) for v in ("90", "89.99", "75", "60", "59.99")] == [
        "A",
        "B",
        "B",
        "C",
        "D",
    ]


@given(st.integers(1, 40), st.data())
def test_indicators_stay_in_range_and_completeness_falls_when_blanked(
    n: int, data: st.DataObject
) -> None:
    sample = rows(n)
    before = assess(NAMES, sample, FULL, TODAY)
    for value in [*before.indicators.values(), before.overall]:
        assert Decimal(0) <= value <= Decimal(100)
    row = data.draw(st.integers(0, n - 1))
    column = data.draw(st.integers(0, len(NAMES) - 1))
    sample[row][column] = None
    after = assess(NAMES, sample, FULL, TODAY)
    assert after.indicators["completeness"] < before.indicators["completeness"]
