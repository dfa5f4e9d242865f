"""The data-asset engine, pure: the month rules at both ends, impairment restart, inventory
release and write-downs, and properties over random histories (amortisation sums to its
base, no carrying amount below zero, every table balances and its totals add up)."""

from __future__ import annotations

import contextlib
from dataclasses import asdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.assets.engine import (
    Account,
    AssetClass,
    Book,
    CostItem,
    Movement,
    MovementType,
    Phase,
    Refused,
    Source,
    apply,
    month_end,
    month_of,
    parse_month,
    replay,
    schedule,
)
from app.assets.tables import significant, tables

D = Decimal
M = parse_month


def capitalised(cost: str, on: date, months: int | None, residual: str = "0") -> Book:
    return replay(
        AssetClass.intangible,
        Source.purchased,
        [CostItem(D(cost), on)],
        [
            Movement(
                MovementType.capitalise,
                on,
                useful_life_months=months,
                indefinite=months is None,
                residual_value=D(residual),
            )
        ],
    )


def test_the_month_of_capitalisation_is_amortised_whatever_its_day() -> None:
    for day in (1, 15, 31):
        book = capitalised("1200.00", date(2025, 1, day), 12)
        assert book.amortised(M("2024-12")) == 0
        assert book.amortised(M("2025-01")) == D("100.00")


def test_the_month_of_disposal_is_not_amortised_whatever_its_day() -> None:
    for day in (1, 28):
        book = capitalised("1200.00", date(2025, 1, 10), 12)
        effects = apply(book, Movement(MovementType.dispose, date(2025, 4, day)))
        assert book.amortised(M("2025-12")) == D("300.00")  # January to March
        assert effects == {
            "cost": D("1200.00"),
            "amortisation": D("300.00"),
            "carrying_amount": D("900.00"),
            "proceeds": D("0.00"),
            "disposal_gain": D("-900.00"),  # disposed of for nothing: a loss
        }
        assert book.carrying(M("2025-03")) == D("900.00")
        assert book.carrying(M("2025-04")) == 0


def test_capitalised_and_ended_in_one_month_is_never_amortised() -> None:
    book = capitalised("1200.00", date(2025, 1, 10), 12)
    apply(book, Movement(MovementType.derecognise, date(2025, 1, 20)))
    assert book.amortised(M("2030-01")) == 0
    moved = tables([book], M("2025-01"), M("2025-12")).intangible["purchased"]
    assert moved.cost_additions["purchase"] == moved.cost_reductions["derecognition"]
    assert moved.amortisation_charge == 0 and moved.cost_closing == 0


def test_accumulated_is_rounded_once_and_the_last_month_ends_at_the_base() -> None:
    book = capitalised("100.00", date(2025, 1, 1), 3)
    charges = [r.amortisation for r in schedule(book, M("2025-04"))]
    assert charges == [D("33.33"), D("33.34"), D("33.33"), D("0.00")]  # 33.33, 66.67, 100.00
    assert book.carrying(M("2025-03")) == 0


def test_impairment_takes_effect_after_the_month_and_restarts_the_formula() -> None:
    book = capitalised("12000.00", date(2025, 1, 5), 12)
    # End of March: 3 × 1000 amortised, carrying 9000; recoverable 4500.
    effects = apply(book, Movement(MovementType.impair, date(2025, 3, 2), amount=D("4500.00")))
    assert effects == {"impairment": D("4500.00"), "carrying_amount": D("4500.00")}
    assert book.balance(Account.amortisation, M("2025-03")) == D("3000.00")
    # From April: B = 4500, R = 9 → 500 a month.
    assert book.charge(M("2025-04"), M("2025-04")) == D("500.00")
    assert book.amortised(M("2025-12")) == D("7500.00")
    assert book.carrying(M("2025-12")) == 0
    assert book.amortised(M("2026-06")) == D("7500.00")


def test_a_cost_adjustment_after_an_impairment_in_its_month_is_amortised_to_the_residual() -> None:
    """The restart an impairment plans from the next month starts from the corrected
    accumulated amortisation and amortises what the correction left."""
    book = capitalised("12000.00", date(2025, 1, 5), 12)
    apply(book, Movement(MovementType.impair, date(2025, 3, 2), amount=D("4500.00")))
    apply(book, Movement(MovementType.cost_adjustment, date(2025, 3, 20), amount=D("-1200.00")))
    # March recomputed on B = 10800: 3 × 900 = 2700 accumulated; carrying 10800 − 2700 −
    # 4500 = 3600, amortised over the 9 months left from April: 400 a month.
    assert book.balance(Account.amortisation, M("2025-03")) == D("2700.00")
    assert book.carrying(M("2025-03")) == D("3600.00")
    assert book.charge(M("2025-04"), M("2025-04")) == D("400.00")
    assert book.carrying(M("2025-12")) == 0
    assert book.amortised(M("2026-06")) == D("10800.00") - D("4500.00")


def test_nothing_to_impair_is_refused() -> None:
    book = capitalised("12000.00", date(2025, 1, 5), 12)
    with pytest.raises(Refused) as refused:
        apply(book, Movement(MovementType.impair, date(2025, 3, 2), amount=D("9000.00")))
    assert refused.value.field is None
    assert "9000.00" in refused.value.message.en


def test_a_recoverable_amount_below_the_residual_lowers_the_residual() -> None:
    book = capitalised("12000.00", date(2025, 1, 5), 12, residual="1200.00")
    apply(book, Movement(MovementType.impair, date(2025, 6, 30), amount=D("600.00")))
    assert book.residual_value == D("600.00")
    assert book.carrying(M("2025-12")) == D("600.00")
    assert book.carrying(M("2026-12")) == D("600.00")


def test_an_impairment_after_the_life_takes_the_residual_value() -> None:
    book = capitalised("0.02", date(2020, 1, 1), 1, residual="0.01")
    apply(book, Movement(MovementType.impair, date(2020, 4, 1), amount=D("0")))
    rows = schedule(book, M("2020-06"))
    assert sum(r.amortisation for r in rows) == D("0.01")
    assert rows[-1].impairment == D("0.01") and rows[-1].carrying_amount == 0
    assert book.residual_value == 0


def test_indefinite_life_is_not_amortised_but_impaired() -> None:
    book = capitalised("5000.00", date(2025, 1, 5), None)
    assert book.amortised(M("2035-01")) == 0
    apply(book, Movement(MovementType.impair, date(2025, 12, 31), amount=D("4000.00")))
    assert book.carrying(M("2030-01")) == D("4000.00")


def inventory(cost: str = "1000.00") -> Book:
    return replay(
        AssetClass.inventory,
        Source.processed,
        [CostItem(D(cost), date(2025, 1, 1))],
        [Movement(MovementType.capitalise, date(2025, 1, 10))],
    )


def test_inventory_sale_of_a_fraction_releases_cost_and_its_provision() -> None:
    book = inventory()
    apply(book, Movement(MovementType.write_down, date(2025, 2, 1), amount=D("800.00")))
    effects = apply(book, Movement(MovementType.dispose, date(2025, 3, 1), fraction=D("0.25")))
    assert effects == {
        "cost": D("250.00"),
        "write_down": D("50.00"),
        "carrying_amount": D("200.00"),
        "revenue": D("0.00"),
        "cost_of_sales": D("200.00"),
    }
    assert book.balance(Account.cost, M("2025-03")) == D("750.00")
    assert book.balance(Account.write_down, M("2025-03")) == D("150.00")
    # Reversal never below zero: NRV above cost reverses all of it.
    apply(book, Movement(MovementType.reverse_write_down, date(2025, 4, 1), amount=D("900.00")))
    assert book.balance(Account.write_down, M("2025-04")) == 0
    with pytest.raises(Refused):
        apply(
            book,
            Movement(MovementType.reverse_write_down, date(2025, 4, 2), amount=D("900.00")),
        )
    apply(book, Movement(MovementType.dispose, date(2025, 5, 1), fraction=D("1")))
    assert book.status.value == "disposed"
    moved = tables([book], M("2025-01"), M("2025-12")).inventory["processed"]
    assert moved.cost_additions["processing"] == D("1000.00")
    assert moved.cost_reductions["sale"] == D("1000.00")
    assert moved.write_down_additions == D("200.00")
    assert moved.write_down_reductions == {
        "reversal": D("150.00"),
        "release": D("50.00"),
        "other": D("0.00"),
    }


def test_intangibles_and_inventory_keep_to_their_own_movements() -> None:
    with pytest.raises(Refused):
        apply(inventory(), Movement(MovementType.impair, date(2025, 2, 1), amount=D("1")))
    book = capitalised("100.00", date(2025, 1, 1), 10)
    for kind in (MovementType.write_down, MovementType.reverse_write_down):
        with pytest.raises(Refused):
            apply(book, Movement(kind, date(2025, 2, 1), amount=D("1")))
    with pytest.raises(Refused) as refused:
        apply(book, Movement(MovementType.dispose, date(2025, 2, 1), fraction=D("0.5")))
    assert refused.value.field == "fraction"


def test_movements_keep_date_order_and_ends_are_final() -> None:
    book = capitalised("100.00", date(2025, 3, 1), 10)
    with pytest.raises(Refused) as refused:
        apply(book, Movement(MovementType.dispose, date(2025, 2, 28)))
    assert refused.value.field == "date"
    apply(book, Movement(MovementType.derecognise, date(2025, 5, 1)))
    with pytest.raises(Refused):
        apply(book, Movement(MovementType.impair, date(2025, 6, 1), amount=D("1")))


def test_development_expenditure_until_capitalised_and_research_expensed() -> None:
    book = replay(
        AssetClass.intangible,
        Source.developed,
        [
            CostItem(D("20000.00"), date(2025, 2, 3), Phase.research),
            CostItem(D("50000.00"), date(2025, 3, 3), Phase.development),
            CostItem(D("30000.00"), date(2025, 5, 3), Phase.development),
        ],
        [Movement(MovementType.capitalise, date(2025, 6, 30), useful_life_months=36)],
    )
    assert book.development_expenditure(M("2025-02")) == 0
    assert book.development_expenditure(M("2025-04")) == D("50000.00")
    assert book.development_expenditure(M("2025-05")) == D("80000.00")
    assert book.development_expenditure(M("2025-06")) == 0
    assert book.research_in(M("2025-01"), M("2025-12")) == D("20000.00")
    assert book.original_cost == D("80000.00")


def test_significant_assets_are_those_of_at_least_a_tenth() -> None:
    big = capitalised("9000.00", date(2025, 1, 1), None)
    small = capitalised("999.00", date(2025, 1, 1), None)
    tenth = capitalised("1111.00", date(2025, 1, 1), None)
    assert significant([big, small, tenth], M("2025-12")) == [0, 2]


# --- Properties over random histories ------------------------------------------------------

START = date(2020, 1, 1)
amounts = st.integers(min_value=1, max_value=10**9).map(lambda c: (D(c) / 100).quantize(D("0.01")))


@st.composite
def histories(draw: st.DrawFn) -> Book:
    asset_class = draw(st.sampled_from(list(AssetClass)))
    sources = {
        AssetClass.intangible: [Source.purchased, Source.developed, Source.other],
        AssetClass.inventory: [Source.purchased, Source.processed, Source.other],
    }[asset_class]
    source = draw(st.sampled_from(sources))
    items = []
    for _ in range(draw(st.integers(1, 4))):
        phase = None
        if source is Source.developed:
            phase = draw(st.sampled_from([Phase.research, Phase.development, Phase.development]))
        on = START + timedelta(days=draw(st.integers(0, 400)))
        items.append(CostItem(draw(amounts), on, phase))
    book = replay(asset_class, source, items, [])
    day = max(i.incurred_on for i in items) + timedelta(days=draw(st.integers(0, 60)))
    cost = book.capitalisable_cost
    if asset_class is AssetClass.intangible:
        indefinite = draw(st.booleans()) and draw(st.booleans())
        months = None if indefinite else draw(st.integers(1, 72))
        residual = D(0)
        if not indefinite and cost > D("0.01") and draw(st.booleans()):
            residual = (cost * D(draw(st.integers(0, 50))) / 100).quantize(D("0.01"))
            residual = min(residual, cost - D("0.01"))
        first = Movement(
            MovementType.capitalise,
            day,
            useful_life_months=months,
            indefinite=indefinite,
            residual_value=residual,
        )
    else:
        first = Movement(MovementType.capitalise, day)
    try:
        apply(book, first)
    except Refused:
        return book  # only research: nothing to capitalise
    for _ in range(draw(st.integers(0, 6))):
        day += timedelta(days=draw(st.integers(0, 200)))
        kind = draw(st.sampled_from(list(MovementType)))
        fraction = D(1)
        if kind is MovementType.dispose and book.asset_class is AssetClass.inventory:
            fraction = D(draw(st.integers(1, 1000))) / 1000
        carrying = book.carrying(month_of(day))
        target = (carrying * D(draw(st.integers(0, 130))) / 100).quantize(D("0.01"))
        life, residual = None, D(0)
        to = None
        if kind is MovementType.reclassify:  # to the other class (to intangible: a life)
            to = (
                AssetClass.intangible
                if book.asset_class is AssetClass.inventory
                else AssetClass.inventory
            )
        if kind is MovementType.revise or to is AssetClass.intangible:
            # a new life (or indefinite) and residual value
            life = draw(st.sampled_from([None, *range(1, 61)]))
            residual = (target * D("0.2")).quantize(D("0.01")) if life else D(0)
        with contextlib.suppress(Refused):
            apply(
                book,
                Movement(
                    kind,
                    day,
                    fraction=fraction,
                    amount=target,
                    useful_life_months=life,
                    indefinite=life is None and to is not AssetClass.inventory,
                    residual_value=residual,
                    reason="复核",
                    to=to,
                ),
            )
    return book


def months_of(book: Book) -> range:
    start = book.capitalised_month or month_of(START)
    return range(start - 1, start + 200)


def section_balances(column: Any) -> list[tuple[Decimal, Decimal]]:
    """(opening + additions − reductions, closing) of every section of a column."""
    data = asdict(column)
    pairs = []
    for prefix in ("cost", "amortisation", "impairment", "write_down"):
        if f"{prefix}_opening" not in data:
            continue
        added = data.get(f"{prefix}_additions", data.get(f"{prefix}_charge"))
        reduced = data[f"{prefix}_reductions"]
        added = sum(added.values()) if isinstance(added, dict) else added
        reduced = sum(reduced.values()) if isinstance(reduced, dict) else reduced
        pairs.append((data[f"{prefix}_opening"] + added - reduced, data[f"{prefix}_closing"]))
    return pairs


def carrying_of(column: Any, when: str) -> Decimal:
    data = asdict(column)
    deducted = sum(
        data.get(f"{p}_{when}", D(0)) for p in ("amortisation", "impairment", "write_down")
    )
    result: Decimal = data[f"cost_{when}"] - deducted
    return result


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_no_carrying_amount_ever_below_zero(book: Book) -> None:
    for month in months_of(book):
        for account in Account:
            assert book.balance(account, month) >= 0, (account, month)
        assert book.carrying(month) >= 0
        assert book.balance(Account.write_down, month) <= book.balance(Account.cost, month)
        assert book.amortised(month) >= book.amortised(month - 1)


@settings(max_examples=300, deadline=None)
@given(histories())
def test_amortisation_sums_to_its_base(book: Book) -> None:
    if book.capitalised_month is None or book.useful_life_months is None or book.ended_on:
        return
    if book.reclassifications:  # its life runs from the reclassification (tested apart)
        return
    # After its life, and after its last movement (an impairment may come later still).
    life_over = book.capitalised_month + book.useful_life_months + 1
    if book.last_on is not None:
        life_over = max(life_over, month_of(book.last_on) + 1)
    rows = schedule(book, life_over)
    charged = sum((r.amortisation for r in rows), D(0))
    impaired = book.balance(Account.impairment, life_over)
    # Over its life an asset is amortised down to its residual value, less any impairment;
    # its cost is the original one unless a restatement adjusted it (cost_adjustment).
    cost = book.balance(Account.cost, life_over)
    assert charged == cost - book.residual_value - impaired
    assert rows[-1].carrying_amount == book.residual_value
    if not impaired:
        assert charged == cost - book.residual_value


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(histories(), min_size=1, max_size=5), st.integers(0, 60), st.integers(0, 40))
def test_every_table_balances_and_totals_add_up(
    books: list[Book], offset: int, length: int
) -> None:
    first = month_of(START) + offset
    last = first + length
    result = tables(books, first, last)
    for group in (result.intangible, result.inventory):
        for column in group.values():
            for computed, closing in section_balances(column):
                assert computed == closing
            assert carrying_of(column, "closing") == column.carrying_closing
            assert carrying_of(column, "opening") == column.carrying_opening
        total = asdict(group["total"])
        parts = [asdict(c) for name, c in group.items() if name != "total"]
        for key, value in total.items():
            if isinstance(value, dict):
                for sub, amount in value.items():
                    assert amount == sum(p[key][sub] for p in parts), (key, sub)
            else:
                assert value == sum(p[key] for p in parts), key
    assert result.intangible_closing == sum(
        b.carrying(last) for b in books if b.class_at(last) is AssetClass.intangible
    )
    assert result.inventory_closing == sum(
        b.carrying(last) for b in books if b.class_at(last) is AssetClass.inventory
    )
    assert month_end(last) >= month_end(first)


def test_a_cost_adjustment_recomputes_accumulated_amortisation_on_the_new_base() -> None:
    """DOMAIN.md "cost_adjustment": from the effective month the cost changes and the
    accumulated amortisation is the same formula on the new base, k and R unchanged."""
    book = capitalised("1200.00", date(2025, 1, 10), 12)
    # In the month of capitalisation it corrects the addition itself.
    apply(book, Movement(MovementType.cost_adjustment, date(2025, 1, 31), amount=D("-120.00")))
    assert book.original_cost == D("1080.00")
    assert book.amortised(M("2025-01")) == D("90.00")
    moved = tables([book], M("2025-01"), M("2025-12")).intangible["purchased"]
    assert moved.cost_additions["purchase"] == D("1080.00")
    # Later, 其他减少: k = 6 at June, 1080 − 480 = 600 → 300.00 accumulated.
    apply(book, Movement(MovementType.cost_adjustment, date(2025, 6, 1), amount=D("-480.00")))
    assert book.amortised(M("2025-05")) == D("450.00")
    assert book.amortised(M("2025-06")) == D("300.00")  # a negative catch-up that month
    assert book.amortised(M("2025-12")) == D("600.00") and book.carrying(M("2025-12")) == 0
    year = tables([book], M("2025-01"), M("2025-12")).intangible["purchased"]
    assert year.cost_reductions["other"] == D("480.00") and year.cost_closing == D("600.00")
    with pytest.raises(Refused) as refused:
        apply(book, Movement(MovementType.cost_adjustment, date(2025, 7, 1), amount=D("-600.00")))
    assert refused.value.field == "amount"


def test_work_in_progress_is_in_the_tables_from_the_month_incurred() -> None:
    """DOMAIN.md "Work in progress": inventory's cost items are 存货 (在产品) from the month
    incurred and capitalisation moves nothing between tables; a purchased intangible's are
    无形资产 from then, amortised from capitalisation; a derecognition before capitalisation
    takes them out as 失效且终止确认."""
    items = [CostItem(D("300.00"), date(2025, 11, 20)), CostItem(D("200.00"), date(2025, 12, 5))]
    stock = replay(AssetClass.inventory, Source.processed, items, [])
    year = tables([stock], M("2025-01"), M("2025-12"))
    column = year.inventory["processed"]
    assert column.cost_additions["processing"] == D("500.00") == column.cost_closing
    assert column.work_in_progress_closing == D("500.00") and year.inventory_closing == D("500.00")
    apply(stock, Movement(MovementType.capitalise, date(2026, 1, 10)))
    january = tables([stock], M("2026-01"), M("2026-01")).inventory["total"]
    assert sum(january.cost_additions.values()) == 0 and january.cost_closing == D("500.00")
    assert january.work_in_progress_closing == 0
    intangible = replay(AssetClass.intangible, Source.purchased, items, [])
    assert tables([intangible], M("2025-11"), M("2025-11")).intangible_closing == D("300.00")
    apply(intangible, Movement(MovementType.capitalise, date(2026, 1, 31), useful_life_months=5))
    january = tables([intangible], M("2026-01"), M("2026-01")).intangible["purchased"]
    assert january.cost_additions["purchase"] == 0 and january.amortisation_charge == D("100.00")
    assert intangible.original_cost == D("500.00")
    dropped = replay(AssetClass.inventory, Source.purchased, items, [])
    with pytest.raises(Refused) as early:  # before its latest item: 422 date
        apply(dropped, Movement(MovementType.derecognise, date(2025, 12, 4)))
    assert early.value.field == "date"
    assert apply(dropped, Movement(MovementType.derecognise, date(2026, 2, 1)))["cost"] == D(
        "500.00"
    )
    february = tables([dropped], M("2026-02"), M("2026-02")).inventory["purchased"]
    assert february.cost_reductions["derecognition"] == D("500.00")
    assert february.cost_closing == 0 == february.work_in_progress_closing
    assert dropped.on_books(M("2025-11"), M("2025-11")) and not dropped.on_books(
        M("2025-10"), M("2025-10")
    )
