"""The regulation's disclosure tables (财会〔2023〕11号) read from the engine's books: one
column per source and a total, each 期初 + 增加 − 减少 = 期末, the balance-sheet lines and the
income-statement results of a period, and the significant single items.

Inventory and purchased (or other) intangibles are in them from the month each cost item
is incurred (DOMAIN.md "Work in progress"); the inventory columns name the 在产品 part of
their closing cost (`work_in_progress_closing`).

A reclassified asset (engine `_reclassify`) is in both classes' tables, each reading the
postings made while it was of that class (`Book.in_class`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from app.assets.engine import (
    SOURCES,
    ZERO,
    Account,
    AssetClass,
    Book,
    Flow,
    Month,
    Result,
    Source,
)

SIGNIFICANT_SHARE = Decimal("0.10")


@dataclass(frozen=True)
class IntangibleColumn:
    """One column of the regulation's table of data resources held as intangible assets."""

    cost_opening: Decimal
    cost_additions: dict[str, Decimal]  # purchase, internal_development, other
    cost_reductions: dict[str, Decimal]  # disposal, derecognition, other
    cost_closing: Decimal
    amortisation_opening: Decimal
    amortisation_charge: Decimal
    amortisation_reductions: dict[str, Decimal]  # disposal, derecognition, other
    amortisation_closing: Decimal
    impairment_opening: Decimal
    impairment_additions: Decimal
    impairment_reductions: Decimal
    impairment_closing: Decimal
    carrying_opening: Decimal
    carrying_closing: Decimal
    # 前期差错更正: what restatements recorded after the previous month was reported changed
    # in the opening balances (cost, amortisation, impairment, carrying), included in them.
    prior_period_corrections: dict[str, Decimal]


@dataclass(frozen=True)
class InventoryColumn:
    """One column of the regulation's table of data resources held as inventory."""

    cost_opening: Decimal
    cost_additions: dict[str, Decimal]  # purchase, processing, other
    cost_reductions: dict[str, Decimal]  # sale, derecognition, other
    cost_closing: Decimal
    write_down_opening: Decimal
    write_down_additions: Decimal
    write_down_reductions: dict[str, Decimal]  # reversal, release
    write_down_closing: Decimal
    carrying_opening: Decimal
    carrying_closing: Decimal
    prior_period_corrections: dict[str, Decimal]  # cost, write_down, carrying
    # 其中：在产品: the part of cost_closing not yet capitalised (the rest is 库存商品).
    work_in_progress_closing: Decimal = ZERO


def _flows(books: Sequence[Book], first: Month, last: Month) -> dict[tuple[Account, Flow], Decimal]:
    summed: dict[tuple[Account, Flow], Decimal] = {}
    for book in books:
        for key, amount in book.flows(first, last).items():
            summed[key] = summed.get(key, ZERO) + amount
    return summed


def _balances(books: Sequence[Book], account: Account, month: Month) -> Decimal:
    return sum((b.balance(account, month) for b in books), ZERO)


def _corrections(
    books: Sequence[Book], reported: Sequence[Book] | None, month: Month, accounts: list[Account]
) -> dict[str, Decimal]:
    """Opening balances (the books at the end of `month`) less those reported for `month`."""
    found = {}
    for account in accounts:
        found[account.value] = (
            ZERO
            if reported is None
            else _balances(books, account, month) - _balances(reported, account, month)
        )
    found["carrying"] = (
        ZERO
        if reported is None
        else sum((b.carrying(month) for b in books), ZERO)
        - sum((b.carrying(month) for b in reported), ZERO)
    )
    return found


def intangible_column(
    books: Sequence[Book], first: Month, last: Month, reported: Sequence[Book] | None = None
) -> IntangibleColumn:
    moved = _flows(books, first, last)

    def flow(account: Account, name: Flow) -> Decimal:
        return moved.get((account, name), ZERO)

    def opening(account: Account) -> Decimal:
        return _balances(books, account, first - 1)

    def closing(account: Account) -> Decimal:
        return _balances(books, account, last)

    cost, amortisation, impairment = Account.cost, Account.amortisation, Account.impairment
    return IntangibleColumn(
        cost_opening=opening(cost),
        cost_additions={
            "purchase": flow(cost, Flow.purchase),
            "internal_development": flow(cost, Flow.internal_development),
            "other": flow(cost, Flow.other),
        },
        cost_reductions={
            "disposal": flow(cost, Flow.disposal),
            "derecognition": flow(cost, Flow.derecognition),
            "other": flow(cost, Flow.other_reduction),  # a restatement lowering the cost
        },
        cost_closing=closing(cost),
        amortisation_opening=opening(amortisation),
        amortisation_charge=flow(amortisation, Flow.charge),
        amortisation_reductions={
            "disposal": flow(amortisation, Flow.disposal),
            "derecognition": flow(amortisation, Flow.derecognition),
            # 其他减少: what leaves the table other than by disposal or derecognition (a
            # reclassification to inventory).
            "other": flow(amortisation, Flow.other_reduction),
        },
        amortisation_closing=closing(amortisation),
        impairment_opening=opening(impairment),
        impairment_additions=flow(impairment, Flow.addition),
        impairment_reductions=flow(impairment, Flow.reduction),
        impairment_closing=closing(impairment),
        carrying_opening=sum((b.carrying(first - 1) for b in books), ZERO),
        carrying_closing=sum((b.carrying(last) for b in books), ZERO),
        prior_period_corrections=_corrections(
            books, reported, first - 1, [cost, amortisation, impairment]
        ),
    )


def inventory_column(
    books: Sequence[Book], first: Month, last: Month, reported: Sequence[Book] | None = None
) -> InventoryColumn:
    moved = _flows(books, first, last)

    def flow(account: Account, name: Flow) -> Decimal:
        return moved.get((account, name), ZERO)

    cost, provision = Account.cost, Account.write_down
    return InventoryColumn(
        cost_opening=_balances(books, cost, first - 1),
        cost_additions={
            "purchase": flow(cost, Flow.purchase),
            "processing": flow(cost, Flow.processing),
            "other": flow(cost, Flow.other),
        },
        cost_reductions={
            "sale": flow(cost, Flow.sale),
            "derecognition": flow(cost, Flow.derecognition),
            "other": flow(cost, Flow.other_reduction),
        },
        cost_closing=_balances(books, cost, last),
        write_down_opening=_balances(books, provision, first - 1),
        # 本期增加: 计提, and a provision arriving with a reclassification (其他)
        write_down_additions=flow(provision, Flow.addition) + flow(provision, Flow.other),
        write_down_reductions={
            "reversal": flow(provision, Flow.reversal),
            "release": flow(provision, Flow.release),
            "other": flow(provision, Flow.other_reduction),  # reclassified to intangible
        },
        write_down_closing=_balances(books, provision, last),
        carrying_opening=sum((b.carrying(first - 1) for b in books), ZERO),
        carrying_closing=sum((b.carrying(last) for b in books), ZERO),
        prior_period_corrections=_corrections(books, reported, first - 1, [cost, provision]),
        work_in_progress_closing=sum((b.work_in_progress(last) for b in books), ZERO),
    )


@dataclass(frozen=True)
class Tables:
    intangible: dict[str, IntangibleColumn]  # purchased, developed, other, total
    inventory: dict[str, InventoryColumn]  # purchased, processed, other, total
    inventory_closing: Decimal  # 存货 其中：数据资源
    intangible_closing: Decimal  # 无形资产 其中：数据资源
    development_expenditure: Decimal  # 开发支出 其中：数据资源
    research_expense: Decimal  # research expensed in the period, terminated projects too
    research_expense_terminated: Decimal = ZERO  # 其中：终止开发项目转出
    revenue: Decimal = ZERO  # 主营业务收入 of inventory sold in the period
    cost_of_sales: Decimal = ZERO  # 主营业务成本 of inventory sold in the period
    disposal_gain: Decimal = ZERO  # 资产处置收益 of intangibles disposed of (a loss < 0)


def tables(
    books: Sequence[Book], first: Month, last: Month, reported: Sequence[Book] | None = None
) -> Tables:
    """The disclosure tables of the months `first` … `last`. Each total column is computed
    from all the books, not by adding the other columns, so that the two can be checked.
    `reported`: the books as reported for the month before `first` (when it was closed),
    whose difference from `books` there is the 前期差错更正 shown in the opening balances."""
    if first > last:
        raise ValueError("the period ends before it starts")

    def of(found: Sequence[Book] | None, c: AssetClass, s: Source | None) -> list[Book] | None:
        """The books of class `c` (all the class's postings of a reclassified asset, in
        the column of its source as that class knows it: `Book.in_class`)."""
        if found is None:
            return None
        seen = [b.in_class(c) for b in found if c in b.classes()]
        return [b for b in seen if s is None or b.source is s]

    def column_books(c: AssetClass, s: Source | None) -> list[Book]:
        chosen = of(books, c, s)
        assert chosen is not None
        return chosen

    intangible = {
        s.value: intangible_column(
            column_books(AssetClass.intangible, s),
            first,
            last,
            of(reported, AssetClass.intangible, s),
        )
        for s in SOURCES[AssetClass.intangible]
    }
    intangible["total"] = intangible_column(
        column_books(AssetClass.intangible, None),
        first,
        last,
        of(reported, AssetClass.intangible, None),
    )
    inventory = {
        s.value: inventory_column(
            column_books(AssetClass.inventory, s),
            first,
            last,
            of(reported, AssetClass.inventory, s),
        )
        for s in SOURCES[AssetClass.inventory]
    }
    inventory["total"] = inventory_column(
        column_books(AssetClass.inventory, None),
        first,
        last,
        of(reported, AssetClass.inventory, None),
    )
    return Tables(
        intangible=intangible,
        inventory=inventory,
        inventory_closing=inventory["total"].carrying_closing,
        intangible_closing=intangible["total"].carrying_closing,
        development_expenditure=sum((b.development_expenditure(last) for b in books), ZERO),
        research_expense=sum(
            (b.research_in(first, last) + b.terminated_in(first, last) for b in books), ZERO
        ),
        research_expense_terminated=sum((b.terminated_in(first, last) for b in books), ZERO),
        revenue=sum((b.result(Result.revenue, first, last) for b in books), ZERO),
        cost_of_sales=sum((b.result(Result.cost_of_sales, first, last) for b in books), ZERO),
        disposal_gain=sum((b.result(Result.disposal_gain, first, last) for b in books), ZERO),
    )


def significant(books: Sequence[Book], month: Month) -> list[int]:
    """The positions of the intangibles whose carrying amount at the end of `month` is at
    least 10 % of all the data-resource intangibles' (单项重要的数据资源无形资产)."""
    carrying = [
        b.carrying(month) if b.class_at(month) is AssetClass.intangible else ZERO for b in books
    ]
    total = sum(carrying, ZERO)
    if total <= 0:
        return []
    return [
        n for n, amount in enumerate(carrying) if amount > 0 and amount >= total * SIGNIFICANT_SHARE
    ]
