"""The disclosure of a merchant's data assets for a period (财会〔2023〕11号): who may read the
books, the basis (as reported at a close, or restated), the records it rests on, and the
restatements touching it.

Decisions where the contract is silent:
- Restricted assets: those linked (by a cost item's certificate, or their product's
  certificate) to a certificate the merchant holds with a pledge in force on the last day
  of the period, of either class, while on the books then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.assets import engine, repository
from app.assets import tables as regulation
from app.assets.engine import Account, Book
from app.assets.evidence import evidenced
from app.assets.models import DataAsset, DataAssetPeriodClose, DataAssetRestatement
from app.assets.service import MERCHANT, View, _month, before, book_of
from app.core.errors import NotFound, ValidationFailed
from app.core.i18n import Text
from app.core.principal import Principal
from app.core.roles import Role
from app.merchants import repository as merchants


@dataclass(frozen=True)
class Restricted:
    view: View
    certificate_number: str
    pledges: list[Any]


@dataclass(frozen=True)
class Restated:
    """An applied restatement touching a disclosure, and its effect there (with − without)."""

    restatement: DataAssetRestatement
    asset: DataAsset
    effect: dict[str, Decimal]


@dataclass(frozen=True)
class DisclosureData:
    merchant_id: UUID
    first: engine.Month
    last: engine.Month
    tables: regulation.Tables
    on_books: list[View]
    significant: list[View]
    restricted: list[Restricted]
    basis: str = "restated"
    closed: bool = False
    restatements: list[Restated] = field(default_factory=list)
    unevidenced: tuple[int, Decimal] = (0, engine.ZERO)


AS_REPORTED, RESTATED = "as_reported", "restated"


def covering(
    closes: list[DataAssetPeriodClose], month: engine.Month
) -> DataAssetPeriodClose | None:
    """The close that closed `month` (the first whose `through` reaches it), if any."""
    for close in closes:
        if engine.month_of(close.through) >= month:
            return close
    return None


async def readable_books(session: AsyncSession, who: Principal, merchant_id: UUID) -> None:
    """404 unless `who` may read the merchant's books (itself, operators, auditors)."""
    if not (
        who.role in (Role.operator, Role.auditor)
        or (who.role is Role.merchant and who.merchant_id == merchant_id)
    ):
        # Another merchant's books are not shown, nor said to exist.
        raise NotFound.of(MERCHANT, merchant_id)
    if await merchants.get(session, merchant_id) is None:
        raise NotFound.of(MERCHANT, merchant_id)


async def disclosure(
    session: AsyncSession,
    who: Principal,
    merchant_id: UUID,
    first_text: str,
    last_text: str,
    basis: str | None = None,
) -> DisclosureData:
    await readable_books(session, who, merchant_id)
    first = _month(["query", "from"], first_text)
    last = _month(["query", "to"], last_text)
    if first > last:
        raise ValidationFailed.field(
            ["query", "to"], Text("must not be before `from`", "不能早于 `from`")
        )
    closes = await repository.closes(session, merchant_id)
    close = covering(closes, last)
    basis = basis or (AS_REPORTED if close is not None else RESTATED)
    if basis == AS_REPORTED and close is None:
        raise ValidationFailed.field(
            ["query", "basis"],
            Text(
                f"{engine.month_text(last)} is not closed: nothing is reported yet (the "
                "figures so far are `restated`)",
                f"{engine.month_text(last)} 尚未结账:尚无已报告数(当前数据请用 `restated`)",
            ),
        )
    reported = basis == AS_REPORTED and close is not None
    return await books_disclosure(
        session,
        merchant_id,
        first,
        last,
        basis,
        close is not None,
        closes,
        close.leaf_index if reported and close is not None else None,
        close.closed_at if reported and close is not None else None,
    )


async def books_disclosure(
    session: AsyncSession,
    merchant_id: UUID,
    first: engine.Month,
    last: engine.Month,
    basis: str,
    closed: bool,
    closes: list[DataAssetPeriodClose],
    cutoff: int | None,
    named_at: datetime | None = None,
) -> DisclosureData:
    """The disclosure of the merchant's records before leaf `cutoff` of `FIN` (all: None).
    Opening balances are those of the same records; where the month before `first` was
    closed, their difference from what was reported for it is the 前期差错更正. With
    `named_at` (a close's time), assets bear the names and descriptions they had then, so
    that renaming an asset never changes a report as closed."""
    assets = await repository.of_merchant(session, merchant_id)
    if named_at is not None:
        assets = await _named_at(session, assets, named_at)
    ids = [a.id for a in assets]
    items = await repository.cost_items(session, ids)
    moves = await repository.movements(session, ids)

    # Every book is as it stood at the period end: a later disposal, impairment or
    # capitalisation (even one recorded before the close) changes no status, life or residual
    # value shown for the period, and balances up to its end are those of the whole record.
    end = engine.month_end(last)

    def one(asset: DataAsset, leaf: int | None, without: UUID | None = None) -> View:
        kept_items = [i for i in before(items[asset.id], leaf) if i.id != without]
        kept_moves = [m for m in before(moves[asset.id], leaf) if m.id != without]
        book = book_of(asset, kept_items, kept_moves, end)
        return View(asset, kept_items, kept_moves, book, last)

    def build(leaf: int | None) -> list[View]:
        return [one(asset, leaf) for asset in assets]

    all_views = build(cutoff)
    books = [v.book for v in all_views]
    previous = covering(closes, first - 1)
    reported = None if previous is None else [v.book for v in build(previous.leaf_index)]
    tables = regulation.tables(books, first, last, reported)
    # The assets listed with their status at the period end: those on the books in the
    # period, and development projects still in 开发支出 at its end (shown in development).
    on_books = [
        v for v in all_views if v.book.on_books(first, last) or v.book.development_expenditure(last)
    ]
    significant = [all_views[n] for n in regulation.significant(books, last)]
    linked = await repository.linked_certificates(
        session, merchant_id, [v.asset for v in all_views]
    )
    pledged = await repository.pledges_in_force(
        session, sorted({n for ns in linked.values() for n in ns}), engine.month_end(last)
    )
    restricted = []
    for view in all_views:
        if not view.book.on_books(last, last):
            continue
        for number in linked.get(view.asset.id, []):
            if pledged.get(number):
                restricted.append(Restricted(view, number, pledged[number]))
    touching = []
    by_id = {v.asset.id: v for v in all_views}
    for r in await repository.restatements(session, merchant_id=merchant_id, state="applied"):
        assert r.leaf_index is not None and r.record_id is not None
        if cutoff is not None and r.leaf_index >= cutoff:
            continue
        month = engine.month_of(r.period)
        in_period = first <= month <= last
        in_opening = previous is not None and month < first and r.leaf_index > previous.leaf_index
        if not (in_period or in_opening):
            continue
        view = by_id[r.asset_id]
        without = one(view.asset, cutoff, r.record_id).book
        touching.append(Restated(r, view.asset, _effect(view.book, without, first, last)))
    shown = [
        i
        for v in all_views
        if v.book.on_books(first, last) or v.book.development_expenditure(last)
        for i in v.items
        if engine.month_of(i.incurred_on) <= last and not evidenced(i)
    ]
    return DisclosureData(
        merchant_id,
        first,
        last,
        tables,
        on_books,
        significant,
        restricted,
        basis,
        closed,
        touching,
        (len(shown), sum((i.amount for i in shown), engine.ZERO)),
    )


async def _named_at(
    session: AsyncSession, assets: list[DataAsset], moment: datetime
) -> list[DataAsset]:
    """The assets as named at `moment`: later renames undone, newest first (detached copies,
    never flushed)."""
    later = await repository.renames_after(session, [a.id for a in assets], moment)
    if not later:
        return assets
    names = {str(a.id): {"name": a.name, "description": a.description} for a in assets}
    for asset_id, changes in later:
        for key in ("name", "description"):
            if key in changes:
                names[asset_id][key] = changes[key][0]
    found = []
    for asset in assets:
        shown = names[str(asset.id)]
        if (shown["name"], shown["description"]) == (asset.name, asset.description):
            found.append(asset)
            continue
        copy = DataAsset(**{c.key: getattr(asset, c.key) for c in DataAsset.__table__.columns})
        copy.name, copy.description = shown["name"] or asset.name, shown["description"]
        found.append(copy)
    return found


def _effect(
    with_it: Book, without: Book, first: engine.Month, last: engine.Month
) -> dict[str, Decimal]:
    def figures(book: Book) -> dict[str, Decimal]:
        return {
            "cost": book.balance(Account.cost, last),
            "accumulated_amortisation": book.balance(Account.amortisation, last),
            "impairment": book.balance(Account.impairment, last),
            "write_down": book.balance(Account.write_down, last),
            "carrying_amount": book.carrying(last),
            "carrying_opening": book.carrying(first - 1),
            "amortisation_charge": book.charge(first, last),
            "research_expense": book.research_in(first, last),
            "development_expenditure": book.development_expenditure(last),
        }

    after, before_it = figures(with_it), figures(without)
    return {k: after[k] - before_it[k] for k in after}
